// oclif's `command_not_found` hook (package.json oclif.hooks): a command confio does not have is a
// usage error like any other, one line with a remedy and exit 2, or under --json the one error
// shape every command prints. The remedy names the closest command in the form it is typed
// (`confio accounts list`), never oclif's colon form.
import {Errors, type Hook, ux} from '@oclif/core'
import {EXIT_USAGE, UsageError} from '../src/errors.ts'
import {closestCommand} from './closest-command.ts'

const hook: Hook.CommandNotFound = async function ({id, argv, config}) {
  const spoken = (commandId: string) => `${config.bin} ${commandId.replaceAll(':', ' ')}`
  const commandIds = config.commands.filter((command) => !command.hidden).map((command) => command.id)
  const topics = config.topics.filter((topic) => !topic.hidden).map((topic) => topic.name)
  const closest = closestCommand(id, commandIds, topics)
  const remedy = !closest
    ? `${config.bin} --help lists the commands`
    : closest.topicExact
      ? `${spoken(closest.id)} --help lists its commands`
      : `did you mean ${spoken(closest.id)}?`
  // `confio --jsn`: a flag where the command belongs.
  const message = id.startsWith('-') ? `${config.bin} ${id}: a flag needs a command before it` : `${config.bin} has no command "${(closest?.typed ?? id).replaceAll(':', ' ')}"`
  const error = new UsageError(message, {remedy})
  if (argv?.includes('--json')) {
    ux.stdout(JSON.stringify({error: {code: error.code, message: error.message, remedy, exitCode: error.exitCode}}, null, 2))
  } else {
    ux.stderr(`Error: ${error.oneLine()}`)
  }
  throw new Errors.ExitError(EXIT_USAGE)
}

export default hook
