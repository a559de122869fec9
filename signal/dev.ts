/** `npm run dev`: the signal server on PORT (8080) and Vite with hot reload on 5173. */
import { createServer } from 'vite'
import { readConfig } from './config.ts'
import { startServer } from './server.ts'

const config = readConfig()
await startServer(config)
process.env.SIGNAL_PORT = String(config.port)
const vite = await createServer({ configFile: new URL('../vite.config.ts', import.meta.url).pathname })
await vite.listen(5173)
vite.printUrls()
