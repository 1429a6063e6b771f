// The places a setting can come from, read into plain string maps. Precedence is decided in
// config.ts; this file only knows how to read each source and where it was.
import {existsSync, readFileSync} from 'node:fs'
import {resolve} from 'node:path'
import {parseEnv} from 'node:util'
import {ConfigError, messageOf} from '../errors.ts'

export const CONFIG_FILE_NAME = 'confio.config.json'

export type RawSettings = Readonly<Record<string, string | undefined>>

export function readDotEnv(cwd: string): RawSettings {
  const path = resolve(cwd, '.env')
  if (!existsSync(path)) return {}
  try {
    return parseEnv(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new ConfigError('.env', `cannot be read (${messageOf(error)})`, {remedy: 'fix the file or remove it'})
  }
}

export interface ConfigFile {
  readonly path: string | undefined
  readonly settings: RawSettings
  readonly tokens: Readonly<Record<string, unknown>>
  /** The settings written as a JSON number or boolean, with that value (in `settings` as text). */
  readonly nonStrings: ReadonlyMap<string, unknown>
}

/** CONFIO_CONFIG names a file that must exist; otherwise ./confio.config.json is optional. */
export function readConfigFile(cwd: string, explicitPath: string | undefined): ConfigFile {
  const path = explicitPath ? resolve(cwd, explicitPath) : resolve(cwd, CONFIG_FILE_NAME)
  if (!existsSync(path)) {
    if (explicitPath) throw new ConfigError('CONFIO_CONFIG', `file ${path} does not exist`, {remedy: 'point CONFIO_CONFIG at a JSON config file or unset it'})
    return {path: undefined, settings: {}, tokens: {}, nonStrings: new Map()}
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new ConfigError('CONFIO_CONFIG', `${path} is not valid JSON (${messageOf(error)})`, {remedy: 'fix the JSON'})
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('CONFIO_CONFIG', `${path} must hold a JSON object of settings`, {remedy: 'e.g. {"SUI_NETWORK": "testnet"}'})
  }
  const {tokens = {}, ...rest} = parsed as Record<string, unknown>
  if (typeof tokens !== 'object' || tokens === null || Array.isArray(tokens)) {
    throw new ConfigError('tokens', `in ${path} must be an object of SYMBOL: {"coinType", "decimals"}`)
  }
  const nonStrings = new Map(Object.entries(rest).filter(([, value]) => typeof value === 'number' || typeof value === 'boolean'))
  return {path, settings: stringValues(rest, path), tokens: tokens as Record<string, unknown>, nonStrings}
}

function stringValues(values: Record<string, unknown>, path: string): RawSettings {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === 'string') out[key] = value
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = String(value)
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) out[key] = value.join(',')
    else throw new ConfigError(key, `in ${path} must be a string, number or list of strings`)
  }
  return out
}
