// What a test process made for itself (temporary folders holding keys, broker
// child processes) is removed when the process ends, however it ends: a
// normal exit and an uncaught exception both emit 'exit'; SIGINT, SIGTERM and
// SIGHUP would end Node without it, so they run the same tasks first. Tasks
// run synchronously (nothing asynchronous runs during 'exit'), once each.
const tasks = new Set();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let installed = false;

/** Runs `task` when the process ends. Returns a function that cancels it (for an owner that cleaned up itself). */
export function atExit(task) {
  install();
  tasks.add(task);
  return () => tasks.delete(task);
}

function runAll() {
  for (const task of [...tasks]) {
    tasks.delete(task);
    try {
      task();
    }
    catch {
      // one failed removal must not keep the others from running
    }
  }
}

function install() {
  if (installed)
    return;
  installed = true;
  process.on('exit', runAll);
  for (const signal of SIGNALS) {
    process.once(signal, function onSignal() {
      runAll();
      // Ours was the only handler: end as the signal would have without it.
      if (process.listenerCount(signal) === 0)
        process.kill(process.pid, signal);
    });
  }
}
