-- The MusicGen ReaScript's logic under a plain Lua interpreter, with a stand-in `reaper` table.
-- Run by tests/hosts/test_reaper.py: lua5.4 test_reaper.lua <script> <scratch dir>
-- Prints "ok <name>" per passing test and exits 1 on the first failure.

local script_path, scratch = arg[1], arg[2]
MUSICGEN_BRIDGE_TEST = true
local M = dofile(script_path)

local function eq(actual, expected, what)
  if actual ~= expected then
    error(string.format("%s: expected %s, got %s", what or "value", tostring(expected), tostring(actual)), 2)
  end
end

local function write(path, text)
  local f = assert(io.open(path, "wb")); f:write(text); f:close()
end

local function exists(path)
  local f = io.open(path, "rb"); if f then f:close(); return true end; return false
end

-- A stand-in for the parts of REAPER's API the script uses. It keeps a little
-- project (tracks, items, render settings) and records what was asked of it.
local function fake_reaper(opts)
  opts = opts or {}
  local r = { calls = {}, messages = {}, deferred = {}, clock = 100.0, ext = {}, inputs = opts.inputs or {},
              info = { RENDER_SETTINGS = 0, RENDER_BOUNDSFLAG = 1, RENDER_CHANNELS = 2, RENDER_ADDTOPROJ = 0,
                       RENDER_STARTPOS = 0, RENDER_ENDPOS = 0 },
              info_s = { RENDER_FILE = "/user/renders", RENDER_PATTERN = "$project", RENDER_FORMAT = "l3pm" },
              tracks = {}, items = {}, renders = {} }
  for _, name in ipairs(opts.tracks or { "Drums", "Keys" }) do
    r.tracks[#r.tracks + 1] = { name = name, selected = false }
  end
  if opts.selected then for _, i in ipairs(opts.selected) do r.tracks[i].selected = true end end
  local selection = opts.selection or { 8.0, 16.0 }

  function r.CountTracks() return #r.tracks end
  function r.GetTrack(_, i) return r.tracks[i + 1] end
  function r.CountSelectedTracks()
    local n = 0; for _, t in ipairs(r.tracks) do if t.selected then n = n + 1 end end; return n
  end
  function r.GetSelectedTrack(_, i)
    local n = -1
    for _, t in ipairs(r.tracks) do if t.selected then n = n + 1; if n == i then return t end end end
    return nil
  end
  function r.SetOnlyTrackSelected(track) for _, t in ipairs(r.tracks) do t.selected = (t == track) end end
  function r.SetTrackSelected(track, on) track.selected = on end
  function r.GetSetMediaTrackInfo_String(track, key, value, set)
    assert(key == "P_NAME")
    if set then track.name = value end
    return true, track.name
  end
  function r.InsertTrackAtIndex(index, _) table.insert(r.tracks, index + 1, { name = "", selected = false }) end
  function r.GetSet_LoopTimeRange() return selection[1], selection[2] end
  function r.TimeMap_GetTimeSigAtTime(_, _) return opts.numerator or 4, opts.denominator or 4, opts.bpm or 96.0 end
  function r.Master_GetTempo() return opts.bpm or 96.0 end
  function r.GetExtState(section, key) return r.ext[section .. "/" .. key] or "" end
  function r.SetExtState(section, key, value, _) r.ext[section .. "/" .. key] = value end
  function r.GetUserInputs(title, n, captions, defaults)
    r.calls[#r.calls + 1] = "GetUserInputs " .. captions
    local answer = table.remove(r.inputs, 1)
    if answer == nil then return false, defaults end
    return true, answer
  end
  function r.GetResourcePath() return scratch end
  function r.GetSetProjectInfo(_, key, value, set)
    if set then r.info[key] = value end
    return r.info[key]
  end
  function r.GetSetProjectInfo_String(_, key, value, set)
    if set then r.info_s[key] = value end
    return true, r.info_s[key]
  end
  function r.Main_OnCommand(command, _)
    r.calls[#r.calls + 1] = "Main_OnCommand " .. command
    if command == M.RENDER_AUTOCLOSE and not opts.render_fails then
      -- what REAPER would render with the settings as they are now
      local rendered = {}
      for _, t in ipairs(r.tracks) do if t.selected then rendered[#rendered + 1] = t.name end end
      r.renders[#r.renders + 1] = { settings = r.info.RENDER_SETTINGS, bounds = r.info.RENDER_BOUNDSFLAG,
                                    format = r.info_s.RENDER_FORMAT, tracks = table.concat(rendered, ",") }
      write(M.join(r.info_s.RENDER_FILE, r.info_s.RENDER_PATTERN .. ".wav"), "RIFF....WAVE")
    end
  end
  function r.ShowMessageBox(text, _, _) r.messages[#r.messages + 1] = text; return 1 end
  function r.time_precise() r.clock = r.clock + 0.1; return r.clock end
  function r.defer(fn) r.deferred[#r.deferred + 1] = fn end
  function r.PCM_Source_CreateFromFile(path) if exists(path) then return { path = path } end return nil end
  function r.AddMediaItemToTrack(track)
    local item = { track = track, info = {} }; r.items[#r.items + 1] = item; return item
  end
  function r.AddTakeToMediaItem(item) item.take = { name = "" }; return item.take end
  function r.SetMediaItemTake_Source(take, source) take.source = source end
  function r.GetMediaSourceLength(_) return 20.0, false end
  function r.SetMediaItemInfo_Value(item, key, value) item.info[key] = value end
  function r.GetSetMediaItemTakeInfo_String(take, key, value, set) if set then take[key] = value end; return true, take[key] end
  function r.UpdateArrange() end
  function r.Undo_BeginBlock() r.calls[#r.calls + 1] = "Undo_BeginBlock" end
  function r.Undo_EndBlock(name) r.calls[#r.calls + 1] = "Undo_EndBlock " .. name end
  -- runs queued deferred functions, as REAPER does about 30 times a second
  function r.run_deferred(max_steps, between)
    for step = 1, max_steps do
      local fn = table.remove(r.deferred, 1)
      if not fn then return step end
      if between then between(step) end
      fn()
    end
    return max_steps
  end
  return r
end

local tests = {}

function tests.json_round_trip_of_a_trigger()
  local text = M.json_encode({ prompt = 'say "hi"\n\\ ok, é', bpm = 96.5, bars = 8, generate = true, seconds = nil })
  eq(text, '{"bars":8,"bpm":96.5,"generate":true,"prompt":"say \\"hi\\"\\n\\\\ ok, é"}', "encoded")
  local back = assert(M.json_decode_flat(text))
  eq(back.prompt, 'say "hi"\n\\ ok, é', "prompt"); eq(back.bpm, 96.5, "bpm"); eq(back.generate, true, "generate")
end

function tests.flat_decoder_skips_nested_values_and_rejects_junk()
  local t = assert(M.json_decode_flat(' {"status":"done","paths":["a","b]"],"meta":{"x":{"y":1}},"path":"/t.wav","n":null} '))
  eq(t.status, "done", "status"); eq(t.path, "/t.wav", "path"); eq(t.n, nil, "null")
  eq(M.json_decode_flat("[1,2]"), nil, "array at top")
  eq(M.json_decode_flat('{"a":'), nil, "cut short")
  eq(M.json_decode_flat('{"a":"\\u00e9"}').a, "é", "unicode escape")
end

function tests.user_input_parsing()
  local prompt, bars = M.parse_inputs("dusty funk, 90s, drums|8", "|")
  eq(prompt, "dusty funk, 90s, drums", "commas survive"); eq(bars, 8, "bars")
  prompt, bars = M.parse_inputs("  ambient pad  |", "|")
  eq(prompt, "ambient pad", "trimmed"); eq(bars, nil, "empty bars: the selection")
  local none, why = M.parse_inputs("|4", "|")
  eq(none, nil, "empty prompt refused"); assert(why:find("type a prompt"), why)
  none, why = M.parse_inputs("x|2.5", "|")
  eq(none, nil, "fractional bars"); assert(why:find("whole number from 1 to 64"), why)
end

function tests.musical_time()
  eq(M.selection_bars(8.0, 16.0, 120, 4), 4, "8 s at 120 bpm in 4/4")
  eq(M.selection_bars(0, 0.2, 120, 4), 1, "at least one bar")
  eq(M.beats_per_bar(6, 8), 3, "6/8"); eq(M.beats_per_bar(7, 8), nil, "7/8"); eq(M.beats_per_bar(3, 4), 3, "3/4")
  local trigger = M.build_trigger({ prompt = "p", bpm = 120, beats_per_bar = 3, bars = 4, stem = "s" })
  eq(trigger.seconds, 6.0, "seconds"); eq(trigger.reply, "s.done.json", "reply"); eq(trigger.generate, true, "generate")
end

function tests.track_is_found_or_created_once()
  local r = fake_reaper({ tracks = { "Drums", "MusicGen" } })
  eq(M.find_or_create_track(r, "MusicGen"), r.tracks[2], "found")
  r = fake_reaper({ tracks = { "Drums" } })
  local created = M.find_or_create_track(r, "MusicGen")
  eq(created.name, "MusicGen", "created"); eq(#r.tracks, 2, "one new track")
  eq(M.find_or_create_track(r, "MusicGen"), created, "not created twice")
end

function tests.render_uses_the_selection_of_one_track_and_restores_settings()
  local r = fake_reaper({ tracks = { "Drums", "Keys", "Bass" }, selected = { 2, 3 } })
  local path = assert(M.render_selection(r, r.tracks[2], scratch, "render-a"))
  eq(path, M.join(scratch, "render-a.wav"), "path")
  local render = r.renders[1]
  eq(render.tracks, "Keys", "only the chosen track"); eq(render.settings, 2, "stems of selected tracks")
  eq(render.bounds, 2, "time selection bounds"); eq(render.format, "evaw", "wav")
  eq(r.info.RENDER_SETTINGS, 0, "restored settings"); eq(r.info.RENDER_BOUNDSFLAG, 1, "restored bounds")
  eq(r.info_s.RENDER_FILE, "/user/renders", "restored folder"); eq(r.info_s.RENDER_FORMAT, "l3pm", "restored format")
  eq(r.tracks[2].selected and r.tracks[3].selected and not r.tracks[1].selected, true, "restored selection")
end

function tests.whole_action_writes_trigger_then_render_then_inserts_the_take()
  local inbox = M.join(scratch, "inbox1"); os.execute('mkdir -p "' .. inbox .. '"')
  local take = M.join(scratch, "take one.wav"); write(take, "RIFF")
  local r = fake_reaper({ selected = { 2 }, bpm = 120.0, inputs = { "warm rhodes, lofi|" },
                          selection = { 8.0, 16.0 } })
  r.ext["MusicGenBridge/inbox"] = inbox
  M.main(r)
  eq(#r.messages, 0, "no error: " .. tostring(r.messages[1]))
  eq(#r.renders, 1, "rendered once")
  -- the trigger exists beside the render, and asks for what the user typed, at the project tempo
  local trigger_path, stem
  for name in io.popen('ls "' .. inbox .. '"'):lines() do
    if name:match("%.json$") then trigger_path = M.join(inbox, name); stem = name:gsub("%.json$", "") end
  end
  assert(trigger_path, "trigger written")
  assert(exists(M.join(inbox, stem .. ".wav")), "render beside the trigger")
  assert(not exists(trigger_path .. ".part"), "no .part left behind")
  local trigger = assert(M.json_decode_flat(M.read_file(trigger_path)))
  eq(trigger.prompt, "warm rhodes, lofi", "prompt"); eq(trigger.bpm, 120, "bpm"); eq(trigger.bars, 4, "bars")
  eq(trigger.reply, stem .. ".done.json", "reply name"); eq(trigger.source, "reaper", "source")
  eq(r.ext["MusicGenBridge/prompt"], "warm rhodes, lofi", "prompt remembered")
  -- nothing yet: it keeps polling without blocking; then the bridge answers
  r.run_deferred(20)
  eq(#r.items, 0, "no take before the answer")
  write(M.join(inbox, stem .. ".done.json"), M.json_encode({ status = "done", path = take, job_id = "j1" }))
  r.run_deferred(50)
  eq(#r.deferred, 0, "polling stopped")
  eq(#r.items, 1, "one take inserted")
  local item = r.items[1]
  eq(item.track.name, "MusicGen", "on the MusicGen track"); eq(#r.tracks, 3, "track created")
  eq(item.info.D_POSITION, 8.0, "at the selection start"); eq(item.info.D_LENGTH, 20.0, "source length")
  eq(item.take.P_NAME, "warm rhodes, lofi", "named after the prompt"); eq(item.take.source.path, take, "source")
  eq(r.calls[#r.calls], "Undo_EndBlock MusicGen Bridge: insert take", "undoable")
  assert(not exists(M.join(inbox, stem .. ".done.json")), "marker consumed")
end

function tests.a_failed_job_is_shown_and_polling_stops()
  local inbox = M.join(scratch, "inbox2"); os.execute('mkdir -p "' .. inbox .. '"')
  local r = fake_reaper({ selected = { 1 }, inputs = { "x|2" } })
  r.ext["MusicGenBridge/inbox"] = inbox
  M.main(r)
  local stem
  for name in io.popen('ls "' .. inbox .. '"'):lines() do
    if name:match("%.json$") then stem = name:gsub("%.json$", "") end
  end
  write(M.join(inbox, stem .. ".done.json"),
        '{"status":"failed","code":"AUTH","message":"the endpoint refused the API key"}')
  r.run_deferred(50)
  eq(#r.items, 0, "nothing inserted"); eq(#r.deferred, 0, "polling stopped")
  eq(r.messages[1], "MusicGen failed: the endpoint refused the API key (AUTH)", "message")
end

function tests.polling_gives_up_after_the_timeout()
  local inbox = M.join(scratch, "inbox3"); os.execute('mkdir -p "' .. inbox .. '"')
  local r = fake_reaper({ selected = { 1 }, inputs = { "x|2" } })
  r.ext["MusicGenBridge/inbox"] = inbox
  M.main(r)
  r.clock = r.clock + M.POLL_TIMEOUT
  r.run_deferred(5)
  eq(#r.deferred, 0, "stopped"); assert(r.messages[1]:find("No take after"), r.messages[1])
end

function tests.no_selection_or_track_is_explained_and_nothing_written()
  local r = fake_reaper({ selected = {} })
  M.main(r)
  assert(r.messages[1]:find("Select the track"), r.messages[1])
  r = fake_reaper({ selected = { 1 }, selection = { 4.0, 4.0 } })
  M.main(r)
  assert(r.messages[1]:find("time selection"), r.messages[1]); eq(#r.renders, 0, "no render")
end

function tests.a_cancelled_render_removes_the_trigger()
  local inbox = M.join(scratch, "inbox4"); os.execute('mkdir -p "' .. inbox .. '"')
  local r = fake_reaper({ selected = { 1 }, inputs = { "x|2" }, render_fails = true })
  r.ext["MusicGenBridge/inbox"] = inbox
  M.main(r)
  assert(r.messages[1]:find("did not render"), r.messages[1])
  eq(io.popen('ls "' .. inbox .. '"'):read("a"), "", "inbox left empty")
end

function tests.inbox_comes_from_the_installed_settings_file()
  local dir = M.join(scratch, "installed"); os.execute('mkdir -p "' .. dir .. '"')
  write(M.join(dir, "musicgen_bridge_settings.lua"), 'return { inbox = [=[/music/in box]=] }')
  local r = fake_reaper()
  eq(M.inbox_dir(r, dir), "/music/in box", "from the settings file")
  r = fake_reaper({ inputs = { " /asked/inbox " } })
  eq(M.inbox_dir(r, M.join(scratch, "nowhere")), "/asked/inbox", "asked")
  eq(r.ext["MusicGenBridge/inbox"], "/asked/inbox", "remembered")
end

local names = {}
for name in pairs(tests) do names[#names + 1] = name end
table.sort(names)
for _, name in ipairs(names) do
  local ok, err = pcall(tests[name])
  if not ok then
    io.stderr:write("FAIL " .. name .. ": " .. tostring(err) .. "\n")
    os.exit(1)
  end
  print("ok " .. name)
end
print(string.format("%d passed", #names))
