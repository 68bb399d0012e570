-- Command safety: which shell commands `cx fix-run` refuses to execute without --unsafe / CXFIX_FORCE=1.
-- The classes it blocks are listed in docs/policies.md ("command_safety").
--
-- check(cmd) -> { blocked = true|false, reason = "<the rule that matched>" | nil, rule = "<id>" | nil }
--
-- The command is split into simple commands at ; && || | & and newlines; each is tokenized (quotes
-- removed), leading VAR=value assignments and wrappers (sudo, env, nohup, time, nice, command, exec,
-- xargs) are looked through, and `sh -c '...'` / `bash -c "..."` bodies are checked recursively.
-- Copy this file to .codex/policies/command_safety.lua to change the rules for one repository.

local SHELLS = { sh = true, bash = true, zsh = true, dash = true, ksh = true, fish = true }
local WRAPPERS = { sudo = true, doas = true, env = true, nohup = true, time = true, nice = true, ionice = true,
  command = true, exec = true, xargs = true, builtin = true }
local SAFE_DEVICES = { ["/dev/null"] = true, ["/dev/stdout"] = true, ["/dev/stderr"] = true, ["/dev/tty"] = true,
  ["/dev/zero"] = true, ["/dev/random"] = true, ["/dev/urandom"] = true }

-- Split a command line into simple commands; each records whether its output is piped onward.
local function split(cmd)
  local parts, cur, i, quote = {}, {}, 1, nil
  local function flush(piped)
    local text = table.concat(cur)
    if text:find("%S") then parts[#parts + 1] = { text = text, piped = piped } end
    cur = {}
  end
  while i <= #cmd do
    local c = cmd:sub(i, i)
    if quote then
      if c == quote then quote = nil end
      cur[#cur + 1] = c
    elseif c == "'" or c == '"' then
      quote = c
      cur[#cur + 1] = c
    elseif c == "\\" then
      cur[#cur + 1] = cmd:sub(i, i + 1)
      i = i + 1
    elseif c == "|" and cmd:sub(i + 1, i + 1) == "|" then
      flush(false)
      i = i + 1
    elseif c == "|" then
      flush(true)
    elseif c == "&" and cmd:sub(i + 1, i + 1) == "&" then
      flush(false)
      i = i + 1
    elseif c == "&" and cmd:sub(i - 1, i - 1) ~= ">" and cmd:sub(i + 1, i + 1) ~= ">" then
      flush(false)
    elseif c == ";" or c == "\n" then
      flush(false)
    else
      cur[#cur + 1] = c
    end
    i = i + 1
  end
  flush(false)
  return parts
end

-- Words of a simple command, quotes removed (enough for matching; not a full shell parser).
local function words(text)
  local out, cur, quote, have = {}, {}, nil, false
  local i = 1
  while i <= #text do
    local c = text:sub(i, i)
    if quote then
      if c == quote then quote = nil else cur[#cur + 1] = c end
    elseif c == "'" or c == '"' then
      quote, have = c, true
    elseif c == "\\" then
      cur[#cur + 1] = text:sub(i + 1, i + 1)
      have = true
      i = i + 1
    elseif c:match("%s") then
      if have or #cur > 0 then out[#out + 1] = table.concat(cur) end
      cur, have = {}, false
    else
      cur[#cur + 1] = c
    end
    i = i + 1
  end
  if have or #cur > 0 then out[#out + 1] = table.concat(cur) end
  return out
end

-- The command word and its arguments, past assignments and wrappers; notes a privilege wrapper.
local function unwrap(w)
  local i, privileged = 1, nil
  while w[i] do
    local x = w[i]
    if x:match("^[%a_][%w_]*=") then
      i = i + 1
    elseif WRAPPERS[x] then
      if x == "sudo" or x == "doas" then privileged = x end
      i = i + 1
      while w[i] and w[i]:sub(1, 1) == "-" do i = i + 1 end -- the wrapper's own flags
      if x == "nice" and w[i] and w[i]:match("^%-?%d+$") then i = i + 1 end
    else
      break
    end
  end
  local args = {}
  for j = i + 1, #w do args[#args + 1] = w[j] end
  return (w[i] or ""):match("[^/]*$"), args, privileged
end

local function has_flag(args, short, long)
  for _, a in ipairs(args) do
    if a == "--" then break end
    if long and a == long then return true end
    if a:match("^%-[%a]+$") and a:find(short, 2, true) then return true end
  end
  return false
end

local function operands(args)
  local out, ended = {}, false
  for _, a in ipairs(args) do
    if ended or a:sub(1, 1) ~= "-" or a == "-" then
      out[#out + 1] = a
    elseif a == "--" then
      ended = true
    end
  end
  return out
end

-- A path whose removal (or recursive permission change) wrecks a system or a home directory.
local function broad(p)
  if p:match("^%$%{?[%w_]+%}?/%*?$") then return true end -- "$DIR/" is "/" when DIR is empty
  p = p:gsub("/+$", "")
  if p == "" or p == "*" or p == "." or p == ".." or p == "./*" or p == "../*" or p == "/*" or p == "/.*" then
    return true
  end
  if p == "~" or p == "~/*" or p == "~/.*" then return true end
  if p:match("^%$%{?HOME%}?$") or p:match("^%$%{?HOME%}?/%*$") then return true end
  if p:match("^/[^/]+$") or p:match("^/[^/]+/%*$") then return true end -- /etc, /usr/*, /home
  return false
end

local function any_broad(list)
  for _, p in ipairs(list) do
    if broad(p) then return true end
  end
  return false
end

local FIND_FILTERS = { ["-name"] = true, ["-iname"] = true, ["-path"] = true, ["-ipath"] = true, ["-regex"] = true,
  ["-type"] = true, ["-newer"] = true, ["-mtime"] = true, ["-mmin"] = true, ["-size"] = true, ["-empty"] = true,
  ["-user"] = true, ["-wholename"] = true }

local RULES = {}
local function rule(id, reason, test) RULES[#RULES + 1] = { id = id, reason = reason, test = test } end

rule("rm_broad", "rm -rf on a broad path", function(name, args)
  if name ~= "rm" then return false end
  for _, a in ipairs(args) do
    if a == "--no-preserve-root" then return true end
  end
  local recursive = has_flag(args, "r", "--recursive") or has_flag(args, "R")
  return recursive and any_broad(operands(args))
end)

-- Any recursive forced removal, whatever the path (as the reference blocks it): a model that
-- proposes `rm -rf` gets a human to run it. `rm -r` (no force) and `rm -f` (no recursion) pass.
local function rm_rf(args)
  return (has_flag(args, "r", "--recursive") or has_flag(args, "R")) and has_flag(args, "f", "--force")
end

rule("rm_rf", "rm -rf: recursive forced removal", function(name, args)
  return name == "rm" and rm_rf(args)
end)

rule("mkfs", "mkfs formats a filesystem", function(name)
  return name:match("^mkfs") ~= nil or name == "mke2fs" or name == "wipefs" or name == "mkswap"
end)

rule("dd_device", "dd writing to a device", function(name, args)
  if name ~= "dd" then return false end
  for _, a in ipairs(args) do
    local target = a:match("^of=(.*)$")
    if target and target:match("^/dev/") and not SAFE_DEVICES[target] then return true end
  end
  return false
end)

rule("chmod_chown_root", "chmod/chown -R on a broad path", function(name, args)
  if name ~= "chmod" and name ~= "chown" and name ~= "chgrp" then return false end
  if not (has_flag(args, "R", "--recursive")) then return false end
  return any_broad(operands(args))
end)

rule("git_push_force", "git push --force rewrites remote history", function(name, args)
  if name ~= "git" or args[1] ~= "push" then return false end
  for _, a in ipairs(args) do
    if a == "--force" or a:match("^%-%-force%-with%-lease") or a == "--mirror" then return true end
    if a:match("^%-[%a]+$") and a:find("f", 2, true) then return true end
    if a:match("^%+[^%s]") then return true end -- +refspec
  end
  return false
end)

rule("git_reset_hard", "git reset --hard discards local changes", function(name, args)
  if name ~= "git" or args[1] ~= "reset" then return false end
  for _, a in ipairs(args) do
    if a == "--hard" then return true end
  end
  return false
end)

rule("git_clean_force", "git clean -f deletes untracked files", function(name, args)
  if name ~= "git" or args[1] ~= "clean" then return false end
  return has_flag(args, "f", "--force")
end)

rule("power", "shutdown/reboot/halt stops the machine", function(name, args)
  if name == "shutdown" or name == "reboot" or name == "halt" or name == "poweroff" then return true end
  if name == "init" and (args[1] == "0" or args[1] == "6") then return true end
  if name == "systemctl" then
    for _, a in ipairs(args) do
      if a == "poweroff" or a == "reboot" or a == "halt" or a == "kexec" then return true end
    end
  end
  return false
end)

rule("kill_all", "kill -1 signals every process", function(name, args)
  if name ~= "kill" and name ~= "pkill" and name ~= "killall" then return false end
  if name == "killall" and #operands(args) == 0 then return false end
  for _, a in ipairs(args) do
    if a == "-1" and name == "kill" then
      local ops = operands(args)
      if #ops == 0 then return true end
    end
  end
  for _, a in ipairs(operands(args)) do
    if a == "-1" then return true end
  end
  return false
end)

rule("crontab_remove", "crontab -r removes every cron job", function(name, args)
  return name == "crontab" and has_flag(args, "r")
end)

rule("mv_dev_null", "moving files to /dev/null destroys them", function(name, args)
  if name ~= "mv" then return false end
  local ops = operands(args)
  return ops[#ops] == "/dev/null"
end)

rule("find_exec_rm_rf", "rm -rf: recursive forced removal", function(name, args)
  if name ~= "find" then return false end
  for i, a in ipairs(args) do
    if (a == "-exec" or a == "-execdir" or a == "-ok" or a == "-okdir") and args[i + 1]
      and args[i + 1]:match("[^/]*$") == "rm" then
      local rest = {}
      for j = i + 2, #args do
        if args[j] == ";" or args[j] == "+" then break end
        rest[#rest + 1] = args[j]
      end
      if rm_rf(rest) then return true end
    end
  end
  return false
end)

rule("find_delete_broad", "find -delete on a broad path", function(name, args)
  if name ~= "find" then return false end
  local deletes = false
  for i, a in ipairs(args) do
    if a == "-delete" or (a == "-exec" and (args[i + 1] == "rm" or args[i + 1] == "shred")) then deletes = true end
  end
  local root = args[1]
  if not deletes or root == nil or not broad(root) then return false end
  if root:match("^%.%.?/?$") then -- `find . -name '*.o' -delete` is routine; a bare `find . -delete` is not
    for _, a in ipairs(args) do
      if FIND_FILTERS[a] then return false end
    end
  end
  return true
end)

local PRIVILEGE = { id = "privilege", reason = "sudo runs the command as root" }
local BOMB = { id = "fork_bomb", reason = "fork bomb" }
local PIPE_SHELL = { id = "pipe_to_shell", reason = "curl|sh / wget|sh runs downloaded code" }
local DEVICE = { id = "device_write", reason = "redirect to a raw disk device" }

local function blocked(r) return { blocked = true, reason = r.reason, rule = r.id } end

local check_line -- forward: sh -c bodies are checked recursively

local function check_simple(text, piped_from_download, depth)
  -- Output redirection onto a disk device (> /dev/sda, >> /dev/nvme0n1, 1>/dev/sdb).
  for target in text:gmatch("%d?>>?%s*([^%s;|&]+)") do
    target = target:gsub("^['\"]", ""):gsub("['\"]$", "")
    if target:match("^/dev/") and not SAFE_DEVICES[target] and not target:match("^/dev/fd/") then
      return blocked(DEVICE)
    end
  end
  local w = words(text)
  local name, args, privileged = unwrap(w)
  for _, r in ipairs(RULES) do
    if r.test(name, args) then return blocked(r) end
  end
  if SHELLS[name] then
    if piped_from_download then return blocked(PIPE_SHELL) end
    for i, a in ipairs(args) do
      if a == "-c" and args[i + 1] and depth < 4 then
        local inner = check_line(args[i + 1], depth + 1)
        if inner.blocked then return inner end
      end
    end
    local joined = table.concat(args, " ")
    if joined:find("<%(%s*curl") or joined:find("<%(%s*wget") then return blocked(PIPE_SHELL) end
  end
  if (name == "eval" or SHELLS[name]) and (text:find("%$%(%s*curl") or text:find("%$%(%s*wget")) then
    return blocked(PIPE_SHELL)
  end
  if name == "python" or name == "python3" or name == "perl" or name == "ruby" or name == "node" then
    if piped_from_download and #operands(args) == 0 then return blocked(PIPE_SHELL) end
  end
  if privileged or name == "su" then return blocked(PRIVILEGE) end
  return nil
end

check_line = function(cmd, depth)
  local squeezed = cmd:gsub("%s+", "")
  if squeezed:find(":(){:|:&};:", 1, true) then return blocked(BOMB) end
  local f = squeezed:match("([%w_]+)%(%){%1|%1&};%1")
  if f then return blocked(BOMB) end
  local from_download = false
  for _, part in ipairs(split(cmd)) do
    local r = check_simple(part.text, from_download, depth)
    if r then return r end
    local name = unwrap(words(part.text))
    from_download = part.piped and (name == "curl" or name == "wget" or from_download)
  end
  return { blocked = false }
end

return {
  --- Classify one shell command line.
  check = function(cmd)
    if type(cmd) ~= "string" then error("check(cmd): cmd must be a string", 2) end
    return check_line(cmd, 0)
  end,
  --- The rules, for `cx policy show` and documentation: { { id, reason }, ... }.
  rules = function()
    local out = {}
    for _, r in ipairs(RULES) do out[#out + 1] = { id = r.id, reason = r.reason } end
    for _, r in ipairs({ PRIVILEGE, BOMB, PIPE_SHELL, DEVICE }) do out[#out + 1] = { id = r.id, reason = r.reason } end
    return out
  end,
}
