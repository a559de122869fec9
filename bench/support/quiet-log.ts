/**
 * Import first: the server's logger reads LOG_LEVEL when signal/log.ts is
 * evaluated, and a benchmark's output should be its figures (warnings still show).
 */
process.env.LOG_LEVEL ??= 'warn'
