-- A page of 50: GET /items?limit=50&offset={random offset inside the seeded rows}.
local last

function prepare()
  last = tonumber(params.item_high) - tonumber(params.item_low) + 1 - 50
end

function request()
  return wrk.format("GET", "/items?limit=50&offset=" .. math.random(0, last))
end
