-- @description MusicGen Bridge: generate from the time selection of the selected track
-- @about
--   Renders the time selection of the selected track into the MusicGen Bridge
--   inbox folder, asks the bridge for a generation conditioned on it (with the
--   project tempo and a prompt you type), and when the take is ready puts it
--   on a track named "MusicGen" at the start of the time selection.
--
--   Install with `musicgen-bridge install-reaper-script`, then in REAPER:
--   Actions > Show action list > New action > Load ReaScript, choose this file.
--   Bind it to a key ("Add..." under Shortcuts in the action list), to a MIDI
--   note or CC (same button, then play the control), or to an OSC control
--   (/action/str _RS... with the command id shown in the action list).
--
-- How it talks to the bridge (ReaScript has no UDP): the inbox folder.
--   1. <inbox>/<stem>.json    the trigger, written first (via a .part name and a rename):
--        {"musicgen_bridge":1, "generate":true, "source":"reaper", "prompt":"...",
--         "bpm":120, "beats_per_bar":4, "bars":8, "seconds":16, "reply":"<stem>.done.json"}
--   2. <inbox>/<stem>.wav     the render; the bridge waits until its size settles,
--        then starts a job with the fields of <stem>.json and this file as the clip.
--   3. <inbox>/<stem>.done.json, written by the bridge when the job ends:
--        {"status":"done", "path":"/abs/take.wav", "job_id":"..."}  or
--        {"status":"failed", "code":"AUTH", "message":"..."}
--   The script polls for (3) with reaper.defer, so REAPER stays responsive.
--
-- The functions below take the `reaper` table as an argument so that tests can
-- run them under a plain Lua interpreter with a stand-in (tests/hosts/test_reaper.lua).

local M = {}

M.TRACK_NAME = "MusicGen"
M.TITLE = "MusicGen Bridge"
M.EXT_SECTION = "MusicGenBridge"
M.POLL_INTERVAL = 0.5      -- seconds between looks at the inbox
M.POLL_TIMEOUT = 900       -- give up waiting after 15 minutes (the bridge's own deadline is shorter)
M.RENDER_AUTOCLOSE = 42230 -- "File: Render project, using the most recent render settings, auto-close render dialog"

-- render settings we change, restored afterwards: the user's own render setup is theirs
M.RENDER_NUMBERS = { "RENDER_SETTINGS", "RENDER_BOUNDSFLAG", "RENDER_CHANNELS", "RENDER_ADDTOPROJ",
                     "RENDER_STARTPOS", "RENDER_ENDPOS" }
M.RENDER_STRINGS = { "RENDER_FILE", "RENDER_PATTERN", "RENDER_FORMAT" }

---------------------------------------------------------------------------
-- JSON: just enough for the trigger (encode) and the done marker (flat decode)
---------------------------------------------------------------------------

local ESCAPES = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
                  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }

local function encode_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return ESCAPES[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

function M.json_encode(value)
  local kind = type(value)
  if kind == "nil" then return "null" end
  if kind == "boolean" then return tostring(value) end
  if kind == "number" then
    if value ~= value or value == math.huge or value == -math.huge then return "null" end
    if math.type(value) == "integer" or value == math.floor(value) and math.abs(value) < 2^53 then
      return string.format("%d", math.floor(value))
    end
    return string.format("%.17g", value)
  end
  if kind == "string" then return encode_string(value) end
  if kind == "table" then
    -- sorted keys: the same trigger always gives the same bytes
    local keys = {}
    for k in pairs(value) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    local parts = {}
    for _, k in ipairs(keys) do parts[#parts + 1] = encode_string(k) .. ":" .. M.json_encode(value[k]) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  error("cannot encode a " .. kind .. " as JSON")
end

-- Decodes one JSON object whose values are strings, numbers, booleans or null
-- (arrays and nested objects are skipped). Returns the table, or nil and a reason.
function M.json_decode_flat(text)
  local pos = 1
  local function skip() pos = text:find("[^ \t\r\n]", pos) or #text + 1 end
  local function read_string()
    if text:sub(pos, pos) ~= '"' then return nil end
    local out, i = {}, pos + 1
    while i <= #text do
      local c = text:sub(i, i)
      if c == '"' then pos = i + 1; return table.concat(out) end
      if c == "\\" then
        local e = text:sub(i + 1, i + 1)
        local simple = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }
        if simple[e] then out[#out + 1] = simple[e]; i = i + 2
        elseif e == "u" then
          local code = tonumber(text:sub(i + 2, i + 5), 16)
          if not code then return nil end
          out[#out + 1] = utf8.char(code); i = i + 6
        else return nil end
      else out[#out + 1] = c; i = i + 1 end
    end
    return nil
  end
  local function skip_nested(open, close)
    local depth = 0
    while pos <= #text do
      local c = text:sub(pos, pos)
      if c == '"' then if not read_string() then return false end
      else
        if c == open then depth = depth + 1 elseif c == close then depth = depth - 1 end
        pos = pos + 1
        if depth == 0 then return true end
      end
    end
    return false
  end
  skip()
  if text:sub(pos, pos) ~= "{" then return nil, "not a JSON object" end
  pos = pos + 1
  local result = {}
  while true do
    skip()
    if text:sub(pos, pos) == "}" then return result end
    local key = read_string()
    if not key then return nil, "bad key at byte " .. pos end
    skip()
    if text:sub(pos, pos) ~= ":" then return nil, "missing ':' at byte " .. pos end
    pos = pos + 1
    skip()
    local c = text:sub(pos, pos)
    if c == '"' then
      local s = read_string()
      if not s then return nil, "bad string at byte " .. pos end
      result[key] = s
    elseif c == "{" then if not skip_nested("{", "}") then return nil, "bad object" end
    elseif c == "[" then if not skip_nested("[", "]") then return nil, "bad array" end
    else
      local word = text:match("^[%w%.%+%-]+", pos)
      if not word then return nil, "bad value at byte " .. pos end
      pos = pos + #word
      if word == "true" then result[key] = true
      elseif word == "false" then result[key] = false
      elseif word ~= "null" then
        local n = tonumber(word)
        if not n then return nil, "bad value '" .. word .. "'" end
        result[key] = n
      end
    end
    skip()
    c = text:sub(pos, pos)
    if c == "," then pos = pos + 1
    elseif c ~= "}" then return nil, "expected ',' or '}' at byte " .. pos end
  end
end

---------------------------------------------------------------------------
-- pure helpers
---------------------------------------------------------------------------

function M.join(dir, name)
  local sep = dir:find("\\", 1, true) and not dir:find("/", 1, true) and "\\" or "/"
  if dir:sub(-1) == "/" or dir:sub(-1) == "\\" then return dir .. name end
  return dir .. sep .. name
end

function M.trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

-- GetUserInputs gives one string; the captions ask for "|" between fields so a
-- prompt may contain commas. Returns prompt, bars (nil: the selection's length), or nil, reason.
function M.parse_inputs(text, sep)
  sep = sep or "|"
  local fields = {}
  for field in (text .. sep):gmatch("(.-)" .. sep:gsub("%p", "%%%0")) do fields[#fields + 1] = M.trim(field) end
  local prompt, bars_text = fields[1] or "", fields[2] or ""
  if prompt == "" then return nil, "type a prompt, for example: warm lofi piano, vinyl crackle" end
  if bars_text == "" then return prompt, nil end
  local bars = tonumber(bars_text)
  if not bars or bars <= 0 or bars > 64 or bars ~= math.floor(bars) then
    return nil, "bars must be a whole number from 1 to 64 (or empty for the selection's length), got '" .. bars_text .. "'"
  end
  return prompt, math.floor(bars)
end

-- Whole bars covered by the selection, at least 1: the length the take should loop on.
function M.selection_bars(start_pos, end_pos, bpm, beats_per_bar)
  local beats = (end_pos - start_pos) * bpm / 60
  return math.max(1, math.floor(beats / beats_per_bar + 0.5))
end

-- Quarter-note beats per bar from a time signature (6/8 is 3); nil when not whole.
function M.beats_per_bar(numerator, denominator)
  if not numerator or not denominator or denominator <= 0 then return nil end
  local quarters = numerator * 4 / denominator
  if quarters ~= math.floor(quarters) then return nil end
  return math.floor(quarters)
end

function M.stem(now)
  return "reaper-" .. os.date("%Y%m%d-%H%M%S", now) .. string.format("-%03d", math.random(0, 999))
end

function M.build_trigger(fields)
  local bpb = fields.beats_per_bar or 4
  local bars = fields.bars
  return {
    musicgen_bridge = 1,
    generate = true,
    source = "reaper",
    prompt = fields.prompt,
    bpm = fields.bpm,
    beats_per_bar = bpb,
    bars = bars,
    seconds = bars and fields.bpm and (bars * bpb * 60 / fields.bpm) or nil,
    reply = fields.stem .. ".done.json",
  }
end

function M.read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local data = f:read("a")
  f:close()
  return data
end

function M.write_file_atomic(path, text)
  -- the bridge watches the folder: it must never see half a trigger
  local part = path .. ".part"
  local f, err = io.open(part, "wb")
  if not f then return false, err end
  f:write(text)
  f:close()
  os.remove(path)
  local ok, rename_err = os.rename(part, path)
  if not ok then os.remove(part); return false, rename_err end
  return true
end

---------------------------------------------------------------------------
-- REAPER-facing pieces (each takes the reaper table `r`)
---------------------------------------------------------------------------

function M.script_dir(r)
  local source = debug.getinfo(1, "S").source
  if source:sub(1, 1) == "@" then return source:sub(2):match("^(.*)[/\\]") end
  return r.GetResourcePath()
end

-- The inbox folder: the settings file the installer wrote, then what the user
-- told us last time, then ask (and remember).
function M.inbox_dir(r, script_dir)
  local settings_path = script_dir and M.join(script_dir, "musicgen_bridge_settings.lua")
  if settings_path and M.read_file(settings_path) then
    local ok, settings = pcall(dofile, settings_path)
    if ok and type(settings) == "table" and type(settings.inbox) == "string" and settings.inbox ~= "" then
      return settings.inbox
    end
  end
  local saved = r.GetExtState(M.EXT_SECTION, "inbox")
  if saved and saved ~= "" then return saved end
  local ok, answer = r.GetUserInputs(M.TITLE, 1, "Bridge inbox folder (--inbox),extrawidth=300", "")
  if not ok or M.trim(answer) == "" then return nil end
  answer = M.trim(answer)
  r.SetExtState(M.EXT_SECTION, "inbox", answer, true)
  return answer
end

function M.find_or_create_track(r, name)
  for i = 0, r.CountTracks(0) - 1 do
    local track = r.GetTrack(0, i)
    local _, track_name = r.GetSetMediaTrackInfo_String(track, "P_NAME", "", false)
    if track_name == name then return track end
  end
  local index = r.CountTracks(0)
  r.InsertTrackAtIndex(index, true)
  local track = r.GetTrack(0, index)
  r.GetSetMediaTrackInfo_String(track, "P_NAME", name, true)
  return track
end

function M.insert_take(r, path, position, name)
  local source = r.PCM_Source_CreateFromFile(path)
  if not source then return nil, "REAPER cannot read '" .. path .. "'" end
  r.Undo_BeginBlock()
  local track = M.find_or_create_track(r, M.TRACK_NAME)
  local item = r.AddMediaItemToTrack(track)
  local take = r.AddTakeToMediaItem(item)
  r.SetMediaItemTake_Source(take, source)
  local length = r.GetMediaSourceLength(source)
  r.SetMediaItemInfo_Value(item, "D_POSITION", position)
  r.SetMediaItemInfo_Value(item, "D_LENGTH", length)
  r.GetSetMediaItemTakeInfo_String(take, "P_NAME", name, true)
  r.UpdateArrange()
  r.Undo_EndBlock("MusicGen Bridge: insert take", -1)
  return item
end

local function save_render_settings(r)
  local saved = { numbers = {}, strings = {} }
  for _, key in ipairs(M.RENDER_NUMBERS) do saved.numbers[key] = r.GetSetProjectInfo(0, key, 0, false) end
  for _, key in ipairs(M.RENDER_STRINGS) do
    local _, value = r.GetSetProjectInfo_String(0, key, "", false)
    saved.strings[key] = value
  end
  return saved
end

local function restore_render_settings(r, saved)
  for key, value in pairs(saved.numbers) do r.GetSetProjectInfo(0, key, value, true) end
  for key, value in pairs(saved.strings) do r.GetSetProjectInfo_String(0, key, value, true) end
end

-- Renders the time selection of `track` alone to <dir>/<stem>.wav; returns the path, or nil and a reason.
function M.render_selection(r, track, dir, stem)
  local selected = {}
  for i = 0, r.CountSelectedTracks(0) - 1 do selected[#selected + 1] = r.GetSelectedTrack(0, i) end
  local saved = save_render_settings(r)
  r.SetOnlyTrackSelected(track)
  r.GetSetProjectInfo(0, "RENDER_SETTINGS", 2, true)    -- stems only, of the selected tracks
  r.GetSetProjectInfo(0, "RENDER_BOUNDSFLAG", 2, true)  -- the time selection
  r.GetSetProjectInfo(0, "RENDER_CHANNELS", 2, true)
  r.GetSetProjectInfo(0, "RENDER_ADDTOPROJ", 0, true)   -- the render is for the bridge, not the project
  r.GetSetProjectInfo_String(0, "RENDER_FILE", dir, true)
  r.GetSetProjectInfo_String(0, "RENDER_PATTERN", stem, true)
  r.GetSetProjectInfo_String(0, "RENDER_FORMAT", "evaw", true) -- WAV with REAPER's defaults
  r.Main_OnCommand(M.RENDER_AUTOCLOSE, 0)
  restore_render_settings(r, saved)
  for i = 0, r.CountTracks(0) - 1 do r.SetTrackSelected(r.GetTrack(0, i), false) end
  for _, t in ipairs(selected) do r.SetTrackSelected(t, true) end
  local path = M.join(dir, stem .. ".wav")
  if not M.read_file(path) then return nil, "REAPER did not render '" .. path .. "' (was the render cancelled?)" end
  return path
end

-- Looks at the done marker once. Returns "waiting", or "done", path, or "failed", message.
function M.check_done(done_path)
  local text = M.read_file(done_path)
  if not text then return "waiting" end
  local marker, err = M.json_decode_flat(text)
  if not marker then return "failed", "the bridge's answer '" .. done_path .. "' is not readable: " .. err end
  if marker.status == "done" and type(marker.path) == "string" then return "done", marker.path end
  local code = marker.code and (" (" .. tostring(marker.code) .. ")") or ""
  return "failed", tostring(marker.message or "the generation failed") .. code
end

-- Polls with reaper.defer (never blocks REAPER's UI) until the marker appears or time runs out.
function M.wait_for_take(r, job)
  local next_look = 0
  local function look()
    local now = r.time_precise()
    if now >= job.deadline then
      r.ShowMessageBox("No take after " .. M.POLL_TIMEOUT .. " s. Is musicgen-bridge running with --inbox '" ..
        job.inbox .. "'?", M.TITLE, 0)
      return
    end
    if now >= next_look then
      next_look = now + M.POLL_INTERVAL
      local state, detail = M.check_done(job.done_path)
      if state == "done" then
        local item, err = M.insert_take(r, detail, job.position, job.prompt)
        if not item then r.ShowMessageBox(err, M.TITLE, 0) end
        os.remove(job.done_path)
        return
      elseif state == "failed" then
        r.ShowMessageBox("MusicGen failed: " .. detail, M.TITLE, 0)
        os.remove(job.done_path)
        return
      end
    end
    r.defer(look)
  end
  r.defer(look)
end

function M.main(r)
  local track = r.GetSelectedTrack(0, 0)
  if not track then return r.ShowMessageBox("Select the track to condition on first.", M.TITLE, 0) end
  local start_pos, end_pos = r.GetSet_LoopTimeRange(false, false, 0, 0, false)
  if not start_pos or end_pos - start_pos <= 0.01 then
    return r.ShowMessageBox("Make a time selection first: it is rendered as the conditioning clip.", M.TITLE, 0)
  end
  local inbox = M.inbox_dir(r, M.script_dir(r))
  if not inbox then return end
  local numerator, denominator, bpm = r.TimeMap_GetTimeSigAtTime(0, start_pos)
  if not bpm or bpm <= 0 then bpm = r.Master_GetTempo() end
  local bpb = M.beats_per_bar(numerator, denominator) or 4

  local last_prompt = r.GetExtState(M.EXT_SECTION, "prompt") or ""
  local ok, answer = r.GetUserInputs(M.TITLE, 2,
    "Prompt,Bars (empty: the selection),separator=|,extrawidth=300", last_prompt .. "|")
  if not ok then return end
  local prompt, bars_or_err = M.parse_inputs(answer, "|")
  if not prompt then return r.ShowMessageBox(bars_or_err, M.TITLE, 0) end
  r.SetExtState(M.EXT_SECTION, "prompt", prompt, true)
  local bars = bars_or_err or M.selection_bars(start_pos, end_pos, bpm, bpb)

  local stem = M.stem(os.time())
  local trigger = M.build_trigger({ prompt = prompt, bpm = bpm, beats_per_bar = bpb, bars = bars, stem = stem })
  local trigger_path = M.join(inbox, stem .. ".json")
  -- the trigger goes first: when the bridge sees the render settle, the trigger is already there
  local written, err = M.write_file_atomic(trigger_path, M.json_encode(trigger))
  if not written then
    return r.ShowMessageBox("Cannot write to the inbox '" .. inbox .. "': " .. tostring(err), M.TITLE, 0)
  end
  local rendered, render_err = M.render_selection(r, track, inbox, stem)
  if not rendered then
    os.remove(trigger_path)
    return r.ShowMessageBox(render_err, M.TITLE, 0)
  end
  M.wait_for_take(r, {
    inbox = inbox,
    done_path = M.join(inbox, trigger.reply),
    position = start_pos,
    prompt = prompt,
    deadline = r.time_precise() + M.POLL_TIMEOUT,
  })
end

-- REAPER runs this file as an action; tests load it as a module (MUSICGEN_BRIDGE_TEST set, no `reaper`).
if reaper and not MUSICGEN_BRIDGE_TEST then
  math.randomseed(os.time())
  M.main(reaper)
end

return M
