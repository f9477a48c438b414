/**
 * The circuit breaker of one subgraph URL, on a fake clock. Each case is a timeline: at some time
 * (ms on the clock), a request fails (standing for `count` client requests), succeeds, asks to go
 * (`acquire`: may it?), or the test reads the state. The timeline replayed against the breaker must
 * give back the same answers.
 */
import { FakeClock } from '../../../../test/helpers/fakeClock';
import { CircuitBreaker, type BreakerOptions } from '../circuitBreaker';

type State = CircuitBreaker['state'];
type Step =
  | [atMs: number, 'failure', count?: number]
  | [atMs: number, 'success']
  | [atMs: number, 'acquire', allowed: boolean]
  | [atMs: number, 'state', state: State];

/** Threshold 3 failures in 1 s; open for 5 s. */
const OPTIONS: BreakerOptions = { failureThreshold: 3, windowMs: 1_000, openMs: 5_000 };

/** Replays the timeline; returns it with the answers the breaker gave in place of the expected ones. */
async function replay(steps: Step[], options = OPTIONS): Promise<Step[]> {
  const clock = new FakeClock();
  const breaker = new CircuitBreaker(options, clock);
  const observed: Step[] = [];
  for (const step of steps) {
    const [at, action] = step;
    await clock.advance(at - clock.now());
    switch (action) {
      case 'failure':
        breaker.failure(step[2] as number | undefined);
        observed.push(step);
        break;
      case 'success':
        breaker.success();
        observed.push(step);
        break;
      case 'acquire':
        observed.push([at, 'acquire', breaker.tryAcquire()]);
        break;
      case 'state':
        observed.push([at, 'state', breaker.state]);
        break;
    }
  }
  return observed;
}

/** The circuit opened at `at` by three failures in a row. */
const openedAt = (at: number): Step[] => [
  [at, 'failure'],
  [at, 'failure'],
  [at, 'failure'],
  [at, 'state', 'open'],
];

describe('closed: requests pass, failures in the sliding window are counted', () => {
  it.each<[string, Step[]]>([
    ['a new breaker is closed and lets requests through', [[0, 'state', 'closed'], [0, 'acquire', true], [0, 'acquire', true]]],
    [
      'below the threshold it stays closed',
      [[0, 'failure'], [10, 'failure'], [20, 'state', 'closed'], [20, 'acquire', true]],
    ],
    [
      'the threshold-th failure within the window opens it',
      [[0, 'failure'], [400, 'failure'], [999, 'failure'], [999, 'state', 'open']],
    ],
    [
      'a failure as old as the window no longer counts',
      [[0, 'failure'], [500, 'failure'], [1_000, 'failure'], [1_000, 'state', 'closed'], [1_499, 'failure'], [1_499, 'state', 'open']],
    ],
    [
      'failures spread wider than the window never open it',
      [[0, 'failure'], [600, 'failure'], [1_200, 'failure'], [1_800, 'failure'], [2_400, 'failure'], [2_400, 'state', 'closed']],
    ],
    [
      'a failure standing for several requests (a shared fetch) counts as that many',
      [[0, 'failure', 2], [0, 'state', 'closed'], [10, 'failure'], [10, 'state', 'open']],
    ],
    ['one failure standing for the threshold opens it at once', [[0, 'failure', 3], [0, 'state', 'open'], [0, 'acquire', false]]],
    [
      'a weighted failure leaves the window whole',
      [[0, 'failure', 2], [1_000, 'failure'], [1_000, 'state', 'closed'], [1_500, 'failure'], [1_500, 'state', 'closed'], [1_600, 'failure'], [1_600, 'state', 'open']],
    ],
    [
      // Failures are counted since the last success: a URL that answers in between is not opened.
      'a success starts the count again',
      [[0, 'failure'], [10, 'failure'], [20, 'success'], [30, 'failure'], [40, 'failure'], [40, 'state', 'closed'], [50, 'failure'], [50, 'state', 'open']],
    ],
  ])('%s', async (_name, steps) => {
    expect(await replay(steps)).toEqual(steps);
  });
});

describe('open: refused at once until openMs has passed', () => {
  it.each<[string, Step[]]>([
    ['an open circuit refuses every request', [...openedAt(0), [0, 'acquire', false], [4_999, 'acquire', false], [4_999, 'state', 'open']]],
    ['after openMs it is half-open', [...openedAt(100), [5_099, 'state', 'open'], [5_100, 'state', 'half-open']]],
    [
      'a failure reported while open (a request sent before it opened) starts the open period again',
      [...openedAt(0), [3_000, 'failure'], [5_000, 'state', 'open'], [7_999, 'acquire', false], [8_000, 'state', 'half-open'], [8_000, 'acquire', true]],
    ],
  ])('%s', async (_name, steps) => {
    expect(await replay(steps)).toEqual(steps);
  });
});

describe('half-open: exactly one probe goes; its outcome decides', () => {
  it.each<[string, Step[]]>([
    [
      'one probe is let through; callers while it runs are refused, however long it takes',
      [...openedAt(0), [5_000, 'acquire', true], [5_000, 'acquire', false], [5_001, 'acquire', false], [60_000, 'acquire', false], [60_000, 'state', 'half-open']],
    ],
    [
      'the probe succeeds: closed, every request passes',
      [...openedAt(0), [5_000, 'acquire', true], [5_200, 'success'], [5_200, 'state', 'closed'], [5_200, 'acquire', true], [5_200, 'acquire', true]],
    ],
    [
      'closed again, it takes a whole threshold of new failures to open it',
      [...openedAt(0), [5_000, 'acquire', true], [5_200, 'success'], [5_300, 'failure'], [5_400, 'failure'], [5_400, 'state', 'closed'], [5_500, 'failure'], [5_500, 'state', 'open']],
    ],
    [
      'the probe fails: open again for a fresh openMs from that failure',
      [
        ...openedAt(0),
        [5_000, 'acquire', true],
        [5_300, 'failure'],
        [5_300, 'state', 'open'],
        [5_300, 'acquire', false],
        [10_299, 'acquire', false],
        [10_300, 'state', 'half-open'],
        [10_300, 'acquire', true],
        [10_300, 'acquire', false],
      ],
    ],
    [
      'one failed probe is enough, whatever the threshold',
      [...openedAt(0), [5_000, 'acquire', true], [5_000, 'failure', 1], [5_000, 'state', 'open']],
    ],
    [
      'a probe may be long in coming: the first request after openMs is it',
      [...openedAt(0), [20_000, 'state', 'half-open'], [20_000, 'acquire', true], [20_000, 'acquire', false]],
    ],
  ])('%s', async (_name, steps) => {
    expect(await replay(steps)).toEqual(steps);
  });
});

it.each<[BreakerOptions, Step[]]>([
  [{ failureThreshold: 1, windowMs: 1, openMs: 1 }, [[0, 'failure'], [0, 'acquire', false], [1, 'acquire', true], [1, 'acquire', false], [1, 'success'], [1, 'acquire', true]]],
  [{ failureThreshold: 5, windowMs: 10_000, openMs: 5_000 }, [[0, 'failure', 4], [9_999, 'failure'], [9_999, 'state', 'open'], [14_998, 'acquire', false], [14_999, 'acquire', true]]],
])('options %j', async (options, steps) => {
  expect(await replay(steps, options)).toEqual(steps);
});
