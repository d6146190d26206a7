-- The sliding log of one API key, decided and recorded atomically (Redis runs a script alone).
-- KEYS[1]  the key's sorted set: one member per allowed request, scored by its time (epoch ms)
-- ARGV[1]  now (epoch ms, from the calling gateway's clock)
-- ARGV[2]  window (ms)
-- ARGV[3]  limit (requests per window)
-- ARGV[4]  a member unique to this request (several requests can share a millisecond)
-- Returns {allowed (1|0), requests counted in the window after this one, ms until the oldest leaves}.
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])

-- An entry exactly one window old no longer counts (the same rule as the in-process store).
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  count = count + 1
  allowed = 1
end

local until_oldest_leaves = window
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] then
  until_oldest_leaves = tonumber(oldest[2]) + window - now
end
-- The set lives until its newest entry leaves the window (another replica's clock may be ahead of ours).
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if newest[2] then
  local ttl = tonumber(newest[2]) + window - now
  if ttl > 0 then
    redis.call('PEXPIRE', KEYS[1], ttl)
  else
    redis.call('DEL', KEYS[1])
  end
end
return {allowed, count, until_oldest_leaves}
