import { parseArgs } from 'node:util';
import { z } from 'zod';
import { registerTherapist } from '../commands/register-therapist.js';
import { DomainError } from '../domain/shared/domain-error.js';
import { issuesOf } from '../infra/http/parse.js';
import { createLogger } from '../infra/logging/logger.js';
import { ConfigError, loadConfig } from './config.js';
import { createServices, StartupError, type Services } from './services.js';
import { therapistInput } from './therapist-input.js';
import { analystUrl, auditorTokenCommand, CliInputError, generateByHand, therapistTokenCommand } from './cli-access.js';
import { projectionsCommand } from './cli-projections.js';
import { RebuildBusy } from '../projections/rebuild-lock.js';
import { historyCommand, PlainText, replayCommand } from './cli-audit.js';

const USAGE = `Usage:
  npm run cli -- therapist create --name <name> --slug <slug> --email <email> [--timezone <IANA zone>] [--price <ARS>]
  npm run cli -- therapist token create --therapist <id|slug> [--label <label>] [--expires <ISO instant>]
  npm run cli -- therapist token list --therapist <id|slug>
  npm run cli -- therapist token revoke|rotate <token id> [--expires <ISO instant>]
  npm run cli -- auditor token create --name <name> [--therapist <id|slug>] [--expires <ISO instant>]
  npm run cli -- auditor token list | revoke <token id>
  npm run cli -- analyst url
  npm run cli -- recurring generate [--date YYYY-MM-DD]
  npm run cli -- projections status
  npm run cli -- projections rebuild <name|all> [--batch-size <events>]
  npm run cli -- projections reset <name>
  npm run cli -- history <stream id>
  npm run cli -- replay --therapist <id> --as-of <ISO instant> [--start YYYY-MM-DD --end YYYY-MM-DD]`;

class UsageError extends Error {}

/** Ops and onboarding commands. Output is one line of JSON on stdout; errors one line on stderr. */
async function run(argv: readonly string[]): Promise<unknown> {
  const [group, action, ...rest] = argv;
  const config = loadConfig({ ...process.env, SEED_DEMO_THERAPIST: 'false' });
  const services = await createServices(config, { logger: createLogger(process.env.LOG_LEVEL ?? 'warn'), background: false });
  try {
    if (group === 'therapist' && action === 'create') return await createTherapist(services, rest);
    const [subAction, ...subArgs] = rest;
    const tokens = group === 'therapist' && action === 'token' ? await therapistTokenCommand(services, subAction, subArgs)
      : group === 'auditor' && action === 'token' ? await auditorTokenCommand(services, subAction, subArgs)
      : undefined;
    if (tokens !== undefined) return tokens;
    if (group === 'analyst' && action === 'url') return await analystUrl(services);
    if (group === 'history' && action !== undefined) return await historyCommand(services, [action, ...rest]);
    if (group === 'replay') return await replayCommand(services, argv.slice(1));
    if (group === 'recurring' && action === 'generate') return await generateByHand(services, rest);
    const projections = group === 'projections' ? await projectionsCommand(services, action, rest) : undefined;
    if (projections !== undefined) return projections;
    throw new UsageError(USAGE);
  } finally {
    await services.close();
  }
}

async function createTherapist(services: Services, args: readonly string[]) {
  const { values } = parseArgs({
    args: [...args],
    options: { name: { type: 'string' }, slug: { type: 'string' }, email: { type: 'string' }, timezone: { type: 'string' }, price: { type: 'string' } },
    strict: true,
  });
  const parsed = therapistInput(services.config.defaultTimezone).safeParse({ ...values, sessionPrice: values.price });
  if (!parsed.success) throw new InputError(issuesOf(parsed.error));
  return registerTherapist(services, parsed.data, { kind: 'operator', name: process.env.USER ?? 'cli' });
}

class InputError extends Error {
  constructor(readonly issues: readonly { field: string; message: string }[]) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join('; '));
  }
}

run(process.argv.slice(2)).then(
  (result) => {
    process.stdout.write(result instanceof PlainText ? `${result.text}\n` : `${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    const known = error instanceof ConfigError || error instanceof CliInputError || error instanceof StartupError || error instanceof RebuildBusy || error instanceof DomainError || error instanceof InputError || error instanceof z.ZodError || (error instanceof TypeError && 'code' in error);
    const message = known && error instanceof Error ? error.message : `Unexpected failure: ${error instanceof Error ? error.message : String(error)}`;
    process.stderr.write(`${JSON.stringify({ error: message, ...(error instanceof InputError ? { issues: error.issues } : {}) })}\n`);
    process.exit(1);
  },
);
