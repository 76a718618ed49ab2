-- A transfer as transfer.lua sends it, with an Idempotency-Key new to each request (the run's tag,
-- the thread and a count): what a client that makes its retries safe pays on each first request.
local low, high, sent
local headers = { ["Content-Type"] = "application/json" }

function prepare()
  low, high = tonumber(params.account_low), tonumber(params.account_high)
  sent = 0
end

function request()
  local source = math.random(low, high)
  local target = math.random(low, high - 1)
  if target >= source then target = target + 1 end
  sent = sent + 1
  headers["Idempotency-Key"] = string.format("%s-%d-%d", params.run, thread_id, sent)
  local body = string.format('{"from_account_id":%d,"to_account_id":%d,"amount_cents":1}', source, target)
  return wrk.format("POST", "/transfers", headers, body)
end
