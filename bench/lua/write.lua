-- A write: POST /items with a name no other request of any run has used (run tag, thread, counter).
local sent = 0
local headers = { ["Content-Type"] = "application/json" }

function request()
  sent = sent + 1
  local body = string.format(
    '{"name":"bench-%s-%d-%d","description":"written by the benchmark","price_cents":%d}',
    params.run, thread_id, sent, sent % 100000)
  return wrk.format("POST", "/items", headers, body)
end
