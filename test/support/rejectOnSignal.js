// Loaded with --import into an app process by test/server/shutdown.test.ts (plain JavaScript: the built app it joins
// loads no TypeScript): SIGUSR2 stands for a bug at run time, a promise rejected that nobody handles.
import process from 'node:process';

process.on('SIGUSR2', () => {
  void Promise.reject(new Error('a bug nobody handled'));
});
