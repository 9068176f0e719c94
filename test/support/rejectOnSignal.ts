// Loaded with --import into an app process by test/server/shutdown.test.ts: SIGUSR2 stands for a bug at run time, a
// promise rejected that nobody handles.
process.on('SIGUSR2', () => {
  void Promise.reject(new Error('a bug nobody handled'));
});
