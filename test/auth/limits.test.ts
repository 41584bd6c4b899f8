import t from 'tap'
import { LocalCounter } from '../../lib/auth/limits.js'

// The per-client counter of the local store: a fixed window per client, starting at its first request.
t.test('a fixed window per key: the max passes, the next waits for the window to end, then a new window', async (t) => {
  let now = 1_000_000
  const counter = new LocalCounter(2, 60_000, () => now)
  t.same([counter.hit('a'), counter.hit('a')], [0, 0])
  now += 10_000
  t.equal(counter.hit('a'), 50_000, 'refused: the milliseconds left in the window')
  t.equal(counter.hit('b'), 0, 'another client has its own window')
  now += 50_000
  t.same([counter.hit('a'), counter.hit('a'), counter.hit('a')], [0, 0, 60_000], 'a fresh window, counted from zero')
})

t.test('past 10,000 clients, finished windows are dropped and live ones keep their count', async (t) => {
  let now = 0
  const counter = new LocalCounter(1, 1000, () => now)
  for (let i = 0; i < 9_999; i++) counter.hit(`old-${i}`)
  now = 600
  t.equal(counter.hit('live'), 0, 'the 10,000th client: its window ends at 1600')
  now = 1500
  t.equal(counter.hit('new'), 0, 'the 10,001st client sweeps the windows that ended at 1000')
  now = 1550
  t.equal(counter.hit('live'), 50, 'a live window survives the sweep: still refused')
  now = 1000
  t.equal(counter.hit('old-0'), 0, 'a swept client starts a new window')
})
