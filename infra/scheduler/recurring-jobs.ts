import type { RecurringJobScheduler } from '../../commands/recurring-generation.js';
import type { Scheduler } from './scheduler.js';

export const RECURRING_JOB_PREFIX = 'recurring-generation';

/** The daily generation of one time zone: its own job name, since Agenda keeps one repeating job per name. */
export function dailyGenerationJob(timezone: string): string {
  return `${RECURRING_JOB_PREFIX}:${timezone}`;
}

/**
 * BR-RS-001 and spec 6.3: a repeating Agenda job per time zone, at 00:00 there (cron with the zone),
 * stored with the other jobs so a restart keeps it. Each start also runs every zone's generation once,
 * since a midnight missed while the service was down is not replayed by Agenda; generation goes on
 * from where each recurrence stands, so missed days are caught up without duplicates.
 */
export function defineRecurringJobs(scheduler: Scheduler, run: (timezone: string) => Promise<unknown>, timezones: () => Promise<readonly string[]>): RecurringJobScheduler {
  const defined = new Set<string>();
  const ensureDaily = async (timezone: string) => {
    const name = dailyGenerationJob(timezone);
    if (!defined.has(name)) {
      scheduler.define<{ timezone: string }>(name, async (data) => {
        await run(data.timezone);
      });
      defined.add(name);
    }
    await scheduler.agenda.every('0 0 * * *', name, { timezone }, { timezone, skipImmediate: true });
  };
  scheduler.onStart(async () => {
    for (const timezone of await timezones()) {
      await ensureDaily(timezone);
      // A midnight missed while the service was down is made up now (generation is idempotent):
      // re-registering the repeating job moves its next run to the coming midnight.
      await scheduler.agenda.now(dailyGenerationJob(timezone), { timezone });
    }
  });
  return { ensureDaily };
}
