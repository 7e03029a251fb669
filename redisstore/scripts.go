package redisstore

import "github.com/redis/go-redis/v9"

// The scripts read the Redis server's clock (TIME), so that the
// processes' clocks never need to agree, and run in one round trip each.
// Times are in milliseconds.
//
// A scope's hash holds the GCRA's theoretical arrival time (tat), the
// fleet's send count in the current and previous one-second buckets
// (b, c, p), and after a throttle the CUBIC state: the rate at the last
// decrease (w), the curve's K in seconds (k), when it decreased (d) and
// the floor (m), and the last slot reserved before it (x); f is when the
// scope's first send was counted.

// fleetLua holds the scripts' common part: the server's time (now, ms);
// fleet, which rolls the buckets b, c, p to now and returns them with the
// fleet's send rate per second (over a sliding second, or the mean since
// the first send when there is less history) and f; and adapted, the
// rate after a throttle on the CUBIC curve (0 before any), capped at
// twice the fleet's rate once past the rate of the throttle.
const fleetLua = `
local function fleet(now, h)
  local b, c, p = tonumber(h[2]) or 0, tonumber(h[3]) or 0, tonumber(h[4]) or 0
  local first = tonumber(h[9]) or now
  local cur = math.floor(now / 1000) * 1000
  if cur ~= b then
    if cur - b == 1000 then p = c else p = 0 end
    c, b = 0, cur
  end
  if now - first < 1000 then -- less than a second of history: its mean
    return b, c, p, (c + p) * 1000 / math.max(now - first, 100), first
  end
  return b, c, p, p * (1 - (now - b) / 1000) + c, first
end
local function adapted(now, h, measured)
  local w = tonumber(h[5])
  if not w then return 0 end
  local dt = (now - tonumber(h[7])) / 1000 - tonumber(h[6])
  local r = 0.4 * dt * dt * dt + w
  if r > w and measured > 0 and r > 2 * measured then r = math.max(w, 2 * measured) end
  return math.max(r, tonumber(h[8]) or 0)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local function f(x) return string.format('%.3f', x) end
`

// admitScript: KEYS[1] the breaker's open key ("" skips it), KEYS[2] the
// scope's hash; ARGV max, burst, horizon (ms), ttl (ms). Returns
// {open ms, wait ms, rate}.
var admitScript = redis.NewScript(fleetLua + `
if KEYS[1] ~= '' then
  local open = redis.call('PTTL', KEYS[1])
  if open > 0 then return {tostring(open), '0', '0'} end
end
if KEYS[2] == '' then return {'0', '0', '0'} end
local max, burst, horizon = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local h = redis.call('HMGET', KEYS[2], 'tat', 'b', 'c', 'p', 'w', 'k', 'd', 'm', 'f')
local b, c, p, measured, first = fleet(now, h)
local rate = adapted(now, h, measured)
if max > 0 and (rate == 0 or max < rate) then rate = max end
local tat, wait = tonumber(h[1]) or 0, 0
local hold = tonumber(redis.call('HGET', KEYS[2], 'hold')) or 0
if hold > now then -- a server's hint: no slot before it
  if hold - now > horizon then return {'0', f(hold - now), f(rate)} end
  wait, tat = hold - now, math.max(tat, hold)
end
if rate > 0 then
  local T = 1000 / rate
  local ntat = math.max(tat, now) + T
  local w = ntat - burst * T - now
  if w > horizon then return {'0', f(w), f(rate)} end
  tat, wait = ntat, math.max(wait, w, 0)
end
redis.call('HSET', KEYS[2], 'tat', f(tat), 'b', f(b), 'c', c + 1, 'p', p, 'f', f(first))
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return {'0', f(wait), f(rate)}
`)

// throttledScript: KEYS[1] the scope's hash; ARGV backoff, min,
// decrease interval (ms), ttl (ms), the server's hint (ms, 0: none). A
// hint moves the GCRA's theoretical arrival time to at least its end (no
// slot before it, whatever the burst). Lowers the adapted rate to
// backoff × min(fleet rate, adapted rate), at most once per decrease
// interval and not before the slots reserved before the last decrease
// are used. Returns 1 when it lowered the rate.
var throttledScript = redis.NewScript(fleetLua + `
local beta, floor, every, hint = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[5]) or 0
if hint > 0 then
  local tat = tonumber(redis.call('HGET', KEYS[1], 'tat')) or 0
  redis.call('HSET', KEYS[1], 'tat', f(math.max(tat, now + hint)), 'hold', f(now + hint))
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
local h = redis.call('HMGET', KEYS[1], 'tat', 'b', 'c', 'p', 'w', 'k', 'd', 'm', 'f', 'x')
local d = tonumber(h[7])
if d and now - d < every then return 0 end
-- Slots reserved before the last decrease, at the old rate, are still
-- being sent: their throttles say nothing of the new rate.
if tonumber(h[10]) and now < tonumber(h[10]) then return 0 end
local _, _, _, measured = fleet(now, h)
local base = measured
local cur = adapted(now, h, measured)
if cur > 0 and cur < base then base = cur end
if base < floor / beta then base = floor / beta end
local k = (base * (1 - beta) / 0.4) ^ (1 / 3)
redis.call('HSET', KEYS[1], 'w', f(base), 'k', f(k), 'd', f(now), 'm', f(floor), 'x', f(tonumber(h[1]) or 0))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`)

// openScript: KEYS[1] the breaker's open key; ARGV the open time (ms).
// Keeps a verdict already open for longer.
var openScript = redis.NewScript(`
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
  return 1
end
return 0
`)
