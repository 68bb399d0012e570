--- A virtual clock for deterministic scheduler runs over the mock adapter (docs/scheduler.md,
--- "Deterministic runs"). While one runs, the mock's latencies are not real timers: each becomes a
--- loop timer that never fires by itself, with a due time on this clock; the run-all driver fires
--- them one at a time in due order (then registration order), advancing the clock to each due time.
--- Real jobs (processes, transfers) still complete in real time while the virtual clock stands
--- still. So two runs with the same seed make the same decisions at the same virtual instants, and
--- a run of 2,000 tasks with seconds of mock latency each takes no real time waiting.
local vclock = {}

-- A real timer long enough never to fire during a run: the driver cancels it when it is due.
local NEVER_MS = 7 * 24 * 3600 * 1000

local state -- nil when no virtual clock runs: {now, due = {id -> {at, seq, ms}}, seq, count}

--- Start a virtual clock at now_ms (the driver does, for CX_MOCK_VIRTUAL_CLOCK=1).
function vclock.start(now_ms)
  state = { now = now_ms or 0, due = {}, seq = 0, count = 0 }
end

--- Stop it (timers still registered are forgotten; their loop is being closed).
function vclock.stop()
  state = nil
end

function vclock.running()
  return state ~= nil
end

--- The virtual time in ms.
function vclock.now()
  return state.now
end

--- Add a timer of ms virtual milliseconds to loop; returns its job id.
function vclock.timer(loop, ms)
  local id = loop:timer(NEVER_MS)
  state.seq = state.seq + 1
  state.due[id] = { at = state.now + ms, seq = state.seq, ms = ms }
  state.count = state.count + 1
  return id
end

--- Virtual timers not fired yet.
function vclock.pending()
  return state and state.count or 0
end

--- The next virtual timer: id, due time; nil when none.
function vclock.earliest()
  local best_id, best
  for id, e in pairs(state.due) do
    if not best or e.at < best.at or (e.at == best.at and e.seq < best.seq) then best_id, best = id, e end
  end
  if best then return best_id, best.at end
  return nil
end

--- Advance to at_ms (never back).
function vclock.advance(at_ms)
  if at_ms > state.now then state.now = at_ms end
end

--- Fire timer id: advance the clock to its due time and end its loop timer. Returns its entry
--- {at, ms}; the caller collects the loop's completion and passes it to vclock.completion.
function vclock.fire(loop, id)
  local e = state.due[id]
  state.due[id] = nil
  state.count = state.count - 1
  vclock.advance(e.at)
  loop:cancel(id)
  return e
end

--- The completion of a fired timer as if it had run its virtual time.
function vclock.completion(c, entry)
  c.ok, c.class, c.error = true, nil, nil
  c.duration_ms = entry.ms
  return c
end

return vclock
