-- wrk: complete signups, two requests each on one connection: GET the form (for the CSRF
-- token and the session cookie it belongs to), then POST it back with a fresh email.
-- Run with as many threads as connections: the state below is per thread.
-- Arguments: form path, post path, a tag that keeps emails unique between runs, and for a
-- hybrid seminar "modes": every other person asks for a seat on site, the others online.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  form_path, post_path, tag, modes = args[1], args[2], args[3] or "run", args[4]
  signups, token, cookie = 0, nil, nil
end

function request()
  if token == nil then
    return wrk.format("GET", form_path, cookie and { Cookie = cookie } or {})
  end
  signups = signups + 1
  local person = tag .. "-" .. thread_number .. "-" .. signups
  local body = "csrf_token=" .. token .. "&name=Deltagare+" .. person ..
    "&email=" .. person .. "%40example.org&organization=OFR"
  if modes then
    body = body .. (signups % 2 == 0 and "&mode=onsite" or "&mode=online")
  end
  token = nil
  return wrk.format("POST", post_path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    Cookie = cookie,
  }, body)
end

function response(status, headers, body)
  local set_cookie = headers["Set-Cookie"]
  if set_cookie then
    cookie = set_cookie:match("^([^;]+)")
  end
  token = body:match('name="csrf_token" type="hidden" value="([^"]+)"')
end
