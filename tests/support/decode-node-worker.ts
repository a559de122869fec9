/**
 * The decode worker for Node tests: the same API object as
 * workers/decode.worker.ts, exposed over a worker_threads port with
 * comlink, so messages, transfers and errors really cross a
 * thread boundary (structured clone) as they do in the browser.
 */
import { parentPort } from 'node:worker_threads'
import { expose } from 'comlink'
import { createDecodeApi } from '../../workers/decode-api.ts'
import { nodeEndpoint } from './comlink-node.ts'

expose(createDecodeApi(), nodeEndpoint(parentPort!))
