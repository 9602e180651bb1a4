#!/usr/bin/env node
/** The `meridio` command: every Meridio process, one subcommand each (see commands.ts). */
import { runCli } from './cli.js';
import { SUBCOMMANDS } from './commands.js';

process.exitCode = await runCli(SUBCOMMANDS, process.argv.slice(2), process.env);
