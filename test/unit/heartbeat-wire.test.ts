/**
 * The agent writes heartbeats without loading zod (its memory budget is tight): the modules it
 * takes the heartbeat's version and limits from must load with zod unavailable.
 */
jest.mock('zod', () => {
  throw new Error('zod was loaded');
});

/** Whether loading `load`'s modules from a fresh registry reaches zod. */
async function loadsZod(load: () => Promise<unknown>): Promise<boolean> {
  let loaded = false;
  await jest.isolateModulesAsync(async () => {
    loaded = await load().then(
      () => false,
      (err: Error) => err.message.includes('zod was loaded'),
    );
  });
  return loaded;
}

describe('without zod', () => {
  test('the heartbeat schema needs it (so this test can tell)', async () => {
    expect(await loadsZod(() => import('../../shared/heartbeat'))).toBe(true);
  });

  test.each([
    ['shared/heartbeat-limits', () => import('../../shared/heartbeat-limits')],
    ['shared/heartbeat-wire', () => import('../../shared/heartbeat-wire')],
    ['agent/heartbeat-builder', () => import('../../agent/heartbeat-builder')],
    ['agent/app', () => import('../../agent/app')],
  ])('%s loads', async (_name, load) => {
    expect(await loadsZod(load)).toBe(false);
  });
});
