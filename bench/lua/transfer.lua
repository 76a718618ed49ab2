-- A transfer of one cent between two different random seeded accounts: POST /transfers.
local low, high
local headers = { ["Content-Type"] = "application/json" }

function prepare()
  low, high = tonumber(params.account_low), tonumber(params.account_high)
end

function request()
  local source = math.random(low, high)
  local target = math.random(low, high - 1)
  if target >= source then target = target + 1 end
  local body = string.format('{"from_account_id":%d,"to_account_id":%d,"amount_cents":1}', source, target)
  return wrk.format("POST", "/transfers", headers, body)
end
