// Service info, balances, coins and execution results → plain records. Unlike a checkpoint's
// transactions these are answers to one question each, so a malformed answer throws (the caller
// asked and cannot use half an answer).
import type {GrpcTypes} from '@mysten/sui/grpc'

import {PartErrors, decodeBalanceChanges, decodeEvents, decodeGasUsed, decodeStatus} from './checkpoint-decoder.ts'
import type {HeightWindow} from '../reader/height-window.ts'
import {chainAddress, chainType, requiredString, timestampMs} from './proto-values.ts'
import type {BalanceRecord, CoinInfoRecord, CoinRecord, EpochRecord, ExecutionRecord, GasCostRecord, ProtocolConfigRecord, ServiceInfo} from '../records.ts'

export function decodeServiceInfo(info: GrpcTypes.GetServiceInfoResponse): ServiceInfo {
  return {
    chainId: requiredString(info.chainId, 'chain_id'),
    chain: info.chain ?? '',
    epoch: info.epoch ?? 0n,
    checkpointHeight: info.checkpointHeight ?? 0n,
    lowestAvailableCheckpoint: info.lowestAvailableCheckpoint ?? 0n,
    serverVersion: info.server ?? '',
    timestampMs: timestampMs(info.timestamp),
  }
}

/**
 * `requestedType` is used when the node leaves coin_type out (an empty balance); `checkpoint` is the
 * reply's x-sui-checkpoint-height header and `window` what that proves (height-window.ts).
 */
export function decodeBalance(balance: GrpcTypes.Balance | undefined, requestedType: string, checkpoint: bigint, window: HeightWindow): BalanceRecord {
  const coinBalance = balance?.coinBalance ?? 0n
  const addressBalance = balance?.addressBalance ?? 0n
  return {
    coinType: balance?.coinType ? chainType(balance.coinType, 'coin_type') : requestedType,
    // Older nodes fill only `balance`; coins + address balance is the definition when both exist.
    total: balance?.balance ?? coinBalance + addressBalance,
    coinBalance,
    addressBalance,
    checkpoint,
    window,
  }
}

export function decodeCoin(object: GrpcTypes.Object): CoinRecord {
  if (object.version === undefined) throw new TypeError('coin object without a version')
  if (object.balance === undefined) throw new TypeError('coin object without a balance')
  return {
    objectId: chainAddress(object.objectId, 'object_id'),
    version: object.version,
    digest: requiredString(object.digest, 'digest'),
    balance: object.balance,
  }
}

/** `requestedType` is used when the node leaves coin_type out; metadata parts the node leaves out stay undefined. */
export function decodeCoinInfo(info: GrpcTypes.GetCoinInfoResponse, requestedType: string): CoinInfoRecord {
  const metadata = info.metadata
  return {
    coinType: info.coinType ? chainType(info.coinType, 'coin_type') : requestedType,
    decimals: metadata?.decimals,
    symbol: metadata?.symbol || undefined,
    name: metadata?.name || undefined,
  }
}

export function decodeExecution(tx: GrpcTypes.ExecutedTransaction | undefined): ExecutionRecord {
  if (tx === undefined) throw new TypeError('response without a transaction')
  const errors = new PartErrors()
  const record: ExecutionRecord = {
    digest: errors.part('digest', '', () => requiredString(tx.digest, 'digest')),
    status: decodeStatus(tx.effects?.status, errors),
    gasUsed: decodeGasUsed(tx.effects?.gasUsed, errors),
    events: decodeEvents(tx.events, errors),
    balanceChanges: decodeBalanceChanges(tx.balanceChanges, errors),
  }
  if (tx.checkpoint !== undefined) record.checkpoint = tx.checkpoint
  const gasCost = gasCostOf(tx.effects?.gasUsed)
  if (gasCost !== undefined) record.gasCost = gasCost
  const parseError = errors.message
  if (parseError !== undefined) record.parseError = parseError
  return record
}

function gasCostOf(gas: GrpcTypes.GasCostSummary | undefined): GasCostRecord | undefined {
  if (gas === undefined) return undefined
  return {computation: gas.computationCost ?? 0n, storage: gas.storageCost ?? 0n, rebate: gas.storageRebate ?? 0n}
}

export function decodeEpoch(epoch: GrpcTypes.Epoch | undefined): EpochRecord {
  if (epoch === undefined) throw new TypeError('response without an epoch')
  if (epoch.referenceGasPrice === undefined) throw new TypeError('epoch without a reference_gas_price')
  const record: EpochRecord = {epoch: epoch.epoch ?? 0n, referenceGasPrice: epoch.referenceGasPrice}
  if (epoch.protocolConfig !== undefined) record.protocol = decodeProtocolConfig(epoch.protocolConfig)
  return record
}

/**
 * Nodes fill the lossless `configs` map, older ones only the deprecated `feature_flags` and
 * `attributes` maps; both are read, `configs` winning where they overlap.
 */
function decodeProtocolConfig(config: GrpcTypes.ProtocolConfig): ProtocolConfigRecord {
  const featureFlags: Record<string, boolean> = {...config.featureFlags}
  const attributes: Record<string, string> = {...config.attributes}
  for (const [name, value] of Object.entries(config.configs ?? {})) {
    const kind = value.kind
    if (kind.oneofKind === 'boolValue') featureFlags[name] = kind.boolValue
    else if (kind.oneofKind === 'stringValue') attributes[name] = kind.stringValue
    else if (kind.oneofKind === 'numberValue') attributes[name] = String(kind.numberValue)
  }
  return {version: config.protocolVersion, featureFlags, attributes}
}
