-- One row by primary key: GET /items/{random seeded id}.
local low, high

function prepare()
  low, high = tonumber(params.item_low), tonumber(params.item_high)
end

function request()
  return wrk.format("GET", "/items/" .. math.random(low, high))
end
