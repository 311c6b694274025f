/**
 * `rp`'s operator commands: the project's own tools (store import, replay, the event log's export
 * and import, dead letters), run on this checkout with their own flags passed through.
 */
import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';

/** The operator tools of this checkout, under the same roof. */
const TOOLS: Array<{ name: string; description: string; script: string; args?: string[] }> = [
  {
    name: 'stores-import',
    description: 'import a store master CSV (npm run stores:import)',
    script: 'shared/src/storeMaster/importCli.ts',
  },
  {
    name: 'replay',
    description: 'rebuild the read models from the event log (npm run replay)',
    script: 'services/projection/src/replay/cli.ts',
  },
  {
    name: 'events-export',
    description: 'export the event log (npm run events:export)',
    script: 'services/projection/src/backup/cli.ts',
    args: ['export'],
  },
  {
    name: 'events-import',
    description: 'import an exported event log (npm run events:import)',
    script: 'services/projection/src/backup/cli.ts',
    args: ['import'],
  },
  {
    name: 'dead-letters',
    description: 'list or re-drive dead letters (npm run dead-letters)',
    script: 'shared/src/messaging/deadLettersCli.ts',
  },
];

/** Adds a command per tool to `program`; each runs its script from `root`, its exit code the command's. */
export function addOperatorTools(program: Command, root: string): void {
  for (const tool of TOOLS) {
    program
      .command(tool.name)
      .description(tool.description)
      .allowUnknownOption()
      .helpOption(false)
      .argument('[args...]')
      .action((args: string[]) => {
        const run = spawnSync(process.execPath, ['--import', 'tsx', tool.script, ...(tool.args ?? []), ...args], {
          cwd: root,
          stdio: 'inherit',
        });
        process.exitCode = run.status ?? 1;
      });
  }
}
