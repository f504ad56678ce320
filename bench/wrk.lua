-- Load for one page under wrk, driven by bench/run.py (not meant to be run by hand).
--
-- run.py signs in (or opens a patient link) once per connection and writes the page and the
-- sessions as a Lua table to the file named by BENCH_PAGE_LUA. wrk runs one connection per
-- thread, so each thread holds one session and requests the page back to back: a closed loop
-- of BENCH_USERS connections with no think time.
--
-- Every answer is checked: anything but the page itself (a redirect to the sign-in page, a
-- 403, a form shown again with errors) is counted as an error with its reason, and the run fails.

local page = dofile(os.getenv("BENCH_PAGE_LUA"))
local threads = {}
local started = 0

function setup(thread)
  started = started + 1
  local session = page.sessions[((started - 1) % #page.sessions) + 1]
  thread:set("cookie", session.cookie)
  thread:set("body", session.body)
  table.insert(threads, thread)
end

function init(args)
  failures = 0
  first_failure = ""
  local headers = { Cookie = cookie }
  local payload = nil
  if body ~= "" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    payload = body
  end
  prepared = wrk.format(page.method, page.path, headers, payload)
end

function request()
  return prepared
end

local function problem_with(status, headers, text)
  local location = headers["Location"] or headers["location"] or ""
  if status == page.expect_status then
    if page.expect_location ~= "" and location ~= page.expect_location then
      return status .. " to " .. location .. ", expected " .. page.expect_location
    end
    if page.expect_text ~= "" and not string.find(text, page.expect_text, 1, true) then
      return status .. " without '" .. page.expect_text .. "': not the expected page"
    end
    return nil
  end
  if (status == 301 or status == 302) and string.find(location, "/accounts/", 1, true) then
    return status .. " to " .. location .. ": the session broke (signed out or second factor asked)"
  end
  if status == 301 or status == 302 then
    return status .. " to " .. location
  end
  return "HTTP " .. status
end

function response(status, headers, text)
  local problem = problem_with(status, headers, text)
  if problem then
    failures = failures + 1
    if first_failure == "" then
      first_failure = problem
    end
  end
end

local function quoted(text)
  return '"' .. string.gsub(text, '["\\]', "\\%0") .. '"'
end

function done(summary, latency, requests)
  local failed = 0
  local reasons = {}
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("failures")
    local reason = thread:get("first_failure")
    if reason ~= "" then
      table.insert(reasons, quoted(reason))
    end
  end
  local errors = summary.errors
  local socket_errors = errors.connect + errors.read + errors.write + errors.timeout
  io.write("BENCH_RESULT ")
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, '
      .. '"failures": %d, "socket_errors": %d, "reasons": [%s]}\n',
    summary.requests,
    summary.duration / 1e6,
    latency:percentile(50) / 1000,
    latency:percentile(95) / 1000,
    latency:percentile(99) / 1000,
    failed,
    socket_errors,
    table.concat(reasons, ", ")
  ))
end
