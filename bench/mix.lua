-- wrk script for bench/measure.py's memory check: cycles through several pages, some signed in.
-- Arguments (after --): the session cookie, then paths; a path starting with "+" is
-- requested with the cookie, any other without. Prints one JSON line at the end.
local cookie, paths, sent = "", {}, 0

init = function(args)
  cookie = args[1]
  for i = 2, #args do
    local path, signed_in = args[i], false
    if path:sub(1, 1) == "+" then
      path, signed_in = path:sub(2), true
    end
    paths[#paths + 1] = {path = path, signed_in = signed_in}
  end
end

request = function()
  local page = paths[sent % #paths + 1]
  sent = sent + 1
  local headers = {}
  if page.signed_in then
    headers["Cookie"] = cookie
  end
  return wrk.format("GET", page.path, headers)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "duration_us": %d, "errors": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout + e.status))
end
