/** How every Meridio process runs: settings, ordered start, termination, reverse stop. */
export {
  EXIT_CANNOT_START,
  EXIT_CANNOT_STOP,
  type ProcessDefinition,
  type ProcessIo,
  type ProcessRun,
  runProcess,
} from './run-process.js';
