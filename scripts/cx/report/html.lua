--- The HTML of `cx report`: one self-contained page (inline CSS and SVG; no script, no network —
--- its Content-Security-Policy forbids both) drawn from a finished cx.report.collect model and the
--- diagnostics findings. Every string that comes from the log goes through esc(). Pure: returns text.
local collect = require "cx.report.collect"
local redact = require "cx.redact"

local html = {}

--- A lane with more attempts than this is drawn as density bins instead of one bar per attempt.
html.MAX_BARS_PER_LANE = 1000
html.BINS = 400
html.WIDTH = 1000 -- timeline drawing width (px)
html.LANE_H = 18
html.RETRIED_LIST_MAX = 50 -- retried tasks listed one by one

html.COLOURS = {
  ok = "#2e9e5b", retried = "#e0a020", failed = "#d0453a", quarantined = "#8e5bd0", interrupted = "#8a8f98",
}

local ENTITIES = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }

--- HTML-escape a value for text or a quoted attribute, after redacting configured secrets (an
--- escaped secret would no longer match); control characters become U+FFFD.
function html.esc(v)
  if v == nil or v == false then return "" end
  local s = redact.string(tostring(v))
  s = s:gsub("[&<>\"']", ENTITIES)
  s = s:gsub("[%z\1-\8\11\12\14-\31\127]", "\u{FFFD}")
  return s
end
local esc = html.esc

local function commas(n)
  local s = string.format("%d", n)
  local out = s:reverse():gsub("(%d%d%d)", "%1,"):reverse()
  return (out:gsub("^,", ""):gsub("^%-,", "-"))
end
html.commas = commas

--- A duration in ms as a short human figure.
function html.ms(v)
  if v == nil or v == false then return "–" end
  if v < 1000 then return string.format("%d ms", math.floor(v + 0.5)) end
  if v < 60000 then return string.format("%.2f s", v / 1000) end
  return string.format("%.1f min", v / 60000)
end
local fms = html.ms

local function clock(epoch_ms)
  if not epoch_ms then return "–" end
  local secs = math.floor(epoch_ms / 1000)
  if secs < 0 or secs > 253402300799 then return string.format("%.0f ms", epoch_ms) end
  return os.date("!%Y-%m-%d %H:%M:%S", secs) .. string.format(".%03dZ", math.floor(epoch_ms % 1000))
end

local CSS = [[
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f7f8fa}
main{max-width:1100px;margin:0 auto;padding:18px 24px 40px}h1{font-size:22px;margin:4px 0 2px}
h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde1e8;padding-bottom:4px}
.sub{color:#5b6475;margin:0 0 12px}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:8px 12px;min-width:110px}
.card b{display:block;font-size:20px}.card span{color:#5b6475;font-size:12px}
table{border-collapse:collapse;background:#fff;margin:6px 0 10px;font-size:13px}
th,td{border:1px solid #dde1e8;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eef1f5;padding:1px 4px;
border-radius:3px;word-break:break-all}
.legend span{display:inline-block;margin-right:14px}
.legend i{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px;border-radius:2px}
svg{background:#fff;border:1px solid #dde1e8;border-radius:6px;display:block}
svg text{font:11px system-ui,sans-serif;fill:#3a4254}
.sev{font-weight:600;padding:1px 6px;border-radius:3px;color:#fff}.sev-critical{background:#b3261e}
.sev-warning{background:#c77c02}.sev-info,.sev-ok{background:#4a7bd0}
.finding{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:8px 12px;margin:8px 0}
.note{color:#5b6475;font-size:13px}.hist{display:inline-block;margin-right:16px;vertical-align:top}
]]

-- x position of an epoch-ms time on the timeline.
local function scale(m)
  local t0, t1 = m.t0 or 0, m.t1 or 0
  local span = t1 - t0
  if span <= 0 then span = 1 end
  return function(t) return (t - t0) / span * html.WIDTH end, span
end

local function bar_title(m, i)
  local dur = (m.start[i] and m.finish[i]) and (m.finish[i] - m.start[i]) or nil
  local parts = { m.task[i], " · ", m.backend[i], " · attempt ", tostring(m.try[i]), " · ", fms(dur),
    " · ", m.outcome[i] }
  if m.class[i] ~= "ok" then parts[#parts + 1] = " (" .. m.class[i] .. ")" end
  if m.queue[i] then parts[#parts + 1] = " · queued " .. fms(m.queue[i]) end
  parts[#parts + 1] = " · line " .. tostring(m.line[i])
  return esc(table.concat(parts))
end

-- The timeline: one lane per worker, one bar per attempt (or density bins for a crowded lane).
local function timeline(out, m)
  local by_lane = {}
  for _, name in ipairs(m.lane_names) do by_lane[name] = {} end
  local untimed = 0
  for i = 1, m.attempts do
    if m.start[i] then
      local l = by_lane[m.lane[i]]
      l[#l + 1] = i
    else
      untimed = untimed + 1
    end
  end
  local x, span = scale(m)
  local label_w, lane_h = 90, html.LANE_H
  local h = #m.lane_names * lane_h + 30
  local binned_lanes = 0
  out[#out + 1] = string.format(
    '<svg id="timeline" data-attempts="%d" width="%d" height="%d" viewBox="0 0 %d %d" role="img" '
      .. 'aria-label="timeline">',
    m.attempts - untimed, html.WIDTH + label_w + 10, h, html.WIDTH + label_w + 10, h)
  for li, name in ipairs(m.lane_names) do
    local y = (li - 1) * lane_h + 4
    out[#out + 1] = string.format('<text x="4" y="%d">%s</text>', y + 12, esc(name))
    out[#out + 1] = string.format('<g class="lane" data-lane="%s" transform="translate(%d,0)">', esc(name), label_w)
    local list = by_lane[name]
    if #list <= html.MAX_BARS_PER_LANE then
      for _, i in ipairs(list) do
        local x0 = x(m.start[i])
        local w = x(m.finish[i]) - x0
        w = w > 3 and w - 1 or math.max(1.5, w) -- a gap between bars that follow each other
        out[#out + 1] = string.format(
          '<rect class="bar o-%s" data-n="1" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s">'
            .. "<title>%s</title></rect>",
          m.outcome[i], x0, y, w, lane_h - 4, html.COLOURS[m.outcome[i]], bar_title(m, i))
      end
    else
      binned_lanes = binned_lanes + 1
      local bins, fails, peak = {}, {}, 0
      local bw = html.WIDTH / html.BINS
      for _, i in ipairs(list) do
        local b = math.min(html.BINS, math.floor(x(m.start[i]) / bw) + 1)
        bins[b] = (bins[b] or 0) + 1
        if m.outcome[i] ~= "ok" then fails[b] = (fails[b] or 0) + 1 end
        if bins[b] > peak then peak = bins[b] end
      end
      for b = 1, html.BINS do
        local c = bins[b]
        if c then
          local from = m.t0 + (b - 1) / html.BINS * span
          local to = m.t0 + b / html.BINS * span
          local f = fails[b] or 0
          local title = string.format("<title>%s: %d attempts from %s to %s, %d not ok</title>", esc(name), c,
            clock(from), clock(to), f)
          out[#out + 1] = string.format(
            '<rect class="bin" data-n="%d" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" fill-opacity="%.2f">'
              .. "%s</rect>", c, (b - 1) * bw, y, bw, lane_h - 4, html.COLOURS.ok, 0.25 + 0.75 * c / peak, title)
          if f > 0 then
            -- the share of the bin that did not succeed, as a red bar from the lane's bottom
            local fh = math.max(2, (lane_h - 4) * f / c)
            out[#out + 1] = string.format(
              '<rect class="bin-fail" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s">%s</rect>',
              (b - 1) * bw, y + lane_h - 4 - fh, bw, fh, html.COLOURS.failed, title)
          end
        end
      end
    end
    out[#out + 1] = "</g>"
  end
  local axis_y = #m.lane_names * lane_h + 18
  out[#out + 1] = string.format('<text x="%d" y="%d">%s</text>', label_w, axis_y, esc(clock(m.t0)))
  out[#out + 1] = string.format('<text x="%d" y="%d" text-anchor="end">+%s</text>', label_w + html.WIDTH, axis_y,
    esc(fms(m.t1 and m.t0 and (m.t1 - m.t0) or 0)))
  out[#out + 1] = "</svg>"
  local legend = { '<p class="legend">' }
  for _, o in ipairs(collect.OUTCOMES) do
    legend[#legend + 1] = string.format('<span><i style="background:%s"></i>%s (%s)</span>', html.COLOURS[o], o,
      commas(m.totals[o]))
  end
  legend[#legend + 1] = "</p>"
  out[#out + 1] = table.concat(legend)
  local notes = {}
  if binned_lanes > 0 then
    notes[#notes + 1] = string.format(
      "%d lane(s) hold more than %s attempts: they are drawn as %d density bins (opacity = attempts per bin, "
        .. "the red part's height = the share of them that did not succeed; hover a bin for its counts).",
      binned_lanes, commas(html.MAX_BARS_PER_LANE), html.BINS)
  end
  if untimed > 0 then
    notes[#notes + 1] = string.format("%s attempt(s) have no usable time and are not drawn.", commas(untimed))
  end
  notes[#notes + 1] = "Hover a bar for its task, backend, attempt, duration and failure class."
  out[#out + 1] = '<p class="note">' .. esc(table.concat(notes, " ")) .. "</p>"
end

-- Log-scale buckets for the distributions (upper bounds in ms; the last is open).
html.BUCKETS = { 1, 10, 50, 100, 250, 500, 1000, 2000, 5000, 10000, 30000, 60000 }

local function bucket_label(i)
  local b = html.BUCKETS
  if i == 1 then return "<" .. fms(b[1]) end
  if i > #b then return "≥" .. fms(b[#b]) end
  return fms(b[i - 1]) .. "–" .. fms(b[i])
end

-- A small bar histogram of a sorted list of ms values, as inline SVG.
local function histogram(out, title, values, colour)
  local counts, peak = {}, 0
  local k = 1
  for _, v in ipairs(values) do
    while k <= #html.BUCKETS and v >= html.BUCKETS[k] do k = k + 1 end
    counts[k] = (counts[k] or 0) + 1
  end
  for i = 1, #html.BUCKETS + 1 do
    if (counts[i] or 0) > peak then peak = counts[i] end
  end
  local n = #html.BUCKETS + 1
  local bw, h = 22, 70
  out[#out + 1] = string.format('<div class="hist"><div class="note">%s</div><svg width="%d" height="%d">',
    esc(title), n * bw + 4, h + 18)
  -- the scale's two ends (each bucket's range and count are on hover)
  out[#out + 1] = string.format('<text x="2" y="%d">%s</text><text x="%d" y="%d" text-anchor="end">%s</text>',
    h + 14, esc(bucket_label(1)), n * bw + 2, h + 14, esc(bucket_label(n)))
  for i = 1, n do
    local c = counts[i] or 0
    local bh = peak > 0 and math.floor(c / peak * (h - 4) + 0.5) or 0
    if c > 0 and bh < 1 then bh = 1 end
    out[#out + 1] = string.format(
      '<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s: %s</title></rect>',
      2 + (i - 1) * bw, h - bh, bw - 3, bh, colour, esc(bucket_label(i)), commas(c))
  end
  out[#out + 1] = "</svg></div>"
end

local function quantile_cells(values)
  local q = collect.quantile
  return string.format('<td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td>'
    .. '<td class="n">%s</td><td class="n">%s</td>', commas(#values), fms(q(values, 0.5)), fms(q(values, 0.9)),
    fms(q(values, 0.95)), fms(q(values, 0.99)), fms(values[#values]))
end

local function distributions(out, m)
  if #m.backend_names == 0 then
    out[#out + 1] = '<p class="note">No attempts in this window.</p>'
    return
  end
  out[#out + 1] = "<table><tr><th>backend</th><th>measure</th><th>n</th><th>p50</th><th>p90</th><th>p95</th>"
    .. "<th>p99</th><th>max</th></tr>"
  for _, name in ipairs(m.backend_names) do
    local b = m.backends[name]
    out[#out + 1] = string.format('<tr><td rowspan="2"><code>%s</code> (%s attempts)</td><td>queue wait</td>%s</tr>',
      esc(name), commas(b.attempts), quantile_cells(b.queues))
    out[#out + 1] = string.format("<tr><td>duration</td>%s</tr>", quantile_cells(b.durations))
  end
  out[#out + 1] = "</table>"
  for _, name in ipairs(m.backend_names) do
    local b = m.backends[name]
    histogram(out, name .. ": queue wait", b.queues, "#4a7bd0")
    histogram(out, name .. ": duration", b.durations, "#2e9e5b")
  end
end

local function failures(out, m)
  if #m.class_names == 0 then
    out[#out + 1] = '<p class="note">Every attempt in this window succeeded.</p>'
    return
  end
  out[#out + 1] = "<table><tr><th>class</th>"
  for _, b in ipairs(m.backend_names) do out[#out + 1] = "<th>" .. esc(b) .. "</th>" end
  out[#out + 1] = "<th>total</th></tr>"
  for _, c in ipairs(m.class_names) do
    local total = 0
    out[#out + 1] = "<tr><td><code>" .. esc(c) .. "</code></td>"
    for _, b in ipairs(m.backend_names) do
      local n = m.classes[c][b] or 0
      total = total + n
      out[#out + 1] = '<td class="n">' .. commas(n) .. "</td>"
    end
    out[#out + 1] = '<td class="n">' .. commas(total) .. "</td></tr>"
  end
  out[#out + 1] = "</table>"
end

local function retries(out, m)
  local r = m.retry
  out[#out + 1] = string.format(
    '<table><tr><th>tasks</th><th>tasks retried</th><th>recovered on retry</th><th>retry attempts</th></tr>'
      .. '<tr><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td></tr></table>',
    commas(r.tasks), commas(r.retried), commas(r.recovered), commas(r.retry_attempts))
  local list = m.retried_tasks
  if #list == 0 then return end
  out[#out + 1] = "<table><tr><th>task</th><th>its rows, in order</th><th>final outcome</th></tr>"
  for i = 1, math.min(#list, html.RETRIED_LIST_MAX) do
    local t = list[i]
    out[#out + 1] = string.format("<tr><td><code>%s</code></td><td>%s</td><td>%s</td></tr>", esc(t.task),
      esc(table.concat(t.rows, " → ")), esc(t.last))
  end
  out[#out + 1] = "</table>"
  if #list > html.RETRIED_LIST_MAX then
    out[#out + 1] = string.format('<p class="note">and %s more retried tasks (cx task show &lt;id&gt;).</p>',
      commas(#list - html.RETRIED_LIST_MAX))
  end
end

local function quarantine(out, m)
  if m.quarantined_count == 0 then
    out[#out + 1] = '<p class="note">No structured answer was quarantined.</p>'
    return
  end
  out[#out + 1] = "<table><tr><th>quarantine id</th><th>task</th><th>schema</th><th>reason</th><th>line</th></tr>"
  for _, q in ipairs(m.quarantined) do
    out[#out + 1] = string.format(
      '<tr><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td><td class="n">%s</td></tr>',
      esc(q.id), esc(q.task), esc(q.schema or "–"), esc(q.reason or "–"), esc(q.line))
  end
  out[#out + 1] = "</table>"
  if m.quarantined_count > #m.quarantined then
    out[#out + 1] = string.format('<p class="note">and %s more (cx quarantine list).</p>',
      commas(m.quarantined_count - #m.quarantined))
  end
  out[#out + 1] = '<p class="note">Read one with <code>cx quarantine show &lt;id&gt;</code>, replay it with '
    .. "<code>cx replay &lt;id&gt;</code> (docs/recovery.md).</p>"
end

local function findings(out, f)
  if f.error then
    out[#out + 1] = '<p class="note">The diagnostics policy could not run: ' .. esc(f.error) .. "</p>"
    return
  end
  out[#out + 1] = string.format(
    '<p>Severity <span class="sev sev-%s">%s</span> — the findings of <code>cx diag --window %d</code> '
      .. "(the scheduler rule policy over the last %s rows).</p>",
    esc(f.severity), esc(f.severity), f.window, commas(f.rows))
  if #f.findings == 0 then
    out[#out + 1] = '<p class="note">No rule fired.</p>'
  end
  for _, x in ipairs(f.findings) do
    out[#out + 1] = string.format('<div class="finding"><span class="sev sev-%s">%s</span> <code>%s</code> %s',
      esc(x.severity), esc(x.severity), esc(x.id), esc(x.message or x.reason))
    local ev = x.evidence or {}
    if #ev > 0 then
      local items = {}
      for i = 1, math.min(#ev, 10) do
        local e = ev[i]
        items[#items + 1] = string.format("<code>%s</code>%s", esc(e.execution_id or "?"),
          e.line and (" (line " .. esc(e.line) .. ")") or "")
      end
      local total = x.evidence_count or #ev
      local more = total > 10 and string.format(" and %s more", commas(total - 10)) or ""
      out[#out + 1] = '<div class="note">evidence: ' .. table.concat(items, ", ") .. more .. "</div>"
    end
    out[#out + 1] = "</div>"
  end
  if #f.actions > 0 then
    out[#out + 1] = "<h3>Actions</h3><table><tr><th>severity</th><th>command</th><th>why</th></tr>"
    for _, a in ipairs(f.actions) do
      out[#out + 1] = string.format(
        '<tr><td><span class="sev sev-%s">%s</span></td><td><code>%s</code></td><td>%s</td></tr>',
        esc(a.severity), esc(a.severity), esc(a.command), esc(a.rationale))
    end
    out[#out + 1] = "</table>"
  end
end

local function card(out, value, label)
  out[#out + 1] = string.format('<div class="card"><b>%s</b><span>%s</span></div>', esc(value), esc(label))
end

--- The page. m: a finished collect model; f: {severity, findings, actions, window, rows} or {error};
--- meta: {log_file, window, generated, version}.
function html.render(m, f, meta)
  local out = {}
  out[#out + 1] = '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
  out[#out + 1] = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
    .. "style-src 'unsafe-inline'; img-src data:\">"
  out[#out + 1] = '<meta name="viewport" content="width=device-width, initial-scale=1">'
  local run = m.runs[#m.runs]
  out[#out + 1] = "<title>cx report" .. (run and (" — " .. esc(run)) or "") .. "</title>"
  out[#out + 1] = "<style>" .. CSS .. "</style></head><body><main>"
  out[#out + 1] = "<h1>cx report" .. (run and (" — <code>" .. esc(run) .. "</code>") or "") .. "</h1>"
  out[#out + 1] = string.format(
    '<p class="sub">%s rows of <code>%s</code> (window %s), %s to %s; generated %s by cx %s</p>',
    commas(m.rows), esc(meta.log_file), commas(meta.window), esc(clock(m.t0)), esc(clock(m.t1)),
    esc(meta.generated), esc(meta.version))
  out[#out + 1] = '<div class="cards">'
  card(out, commas(m.attempts), "attempts")
  card(out, commas(#m.lane_names), "workers")
  card(out, commas(m.totals.ok), "succeeded")
  card(out, commas(m.retry.recovered), "recovered on retry")
  card(out, commas(m.totals.failed + m.totals.retried), "failed attempts")
  card(out, commas(m.quarantined_count), "quarantined")
  card(out, m.t0 and fms(m.t1 - m.t0) or "–", "wall time")
  if not f.error then card(out, f.severity, "diag severity") end
  out[#out + 1] = "</div>"
  if #m.runs > 1 then
    local list = {}
    for i = math.max(1, #m.runs - 9), #m.runs do list[#list + 1] = "<code>" .. esc(m.runs[i]) .. "</code>" end
    out[#out + 1] = '<p class="note">runs in this window: ' .. table.concat(list, " ")
      .. (#m.runs > 10 and string.format(" (last 10 of %s)", commas(#m.runs)) or "") .. "</p>"
  end
  out[#out + 1] = "<h2>Timeline</h2>"
  timeline(out, m)
  out[#out + 1] = "<h2>Findings and actions</h2>"
  findings(out, f)
  out[#out + 1] = "<h2>Queue wait and duration per backend</h2>"
  distributions(out, m)
  out[#out + 1] = "<h2>Failure classes</h2>"
  failures(out, m)
  out[#out + 1] = "<h2>Retries</h2>"
  retries(out, m)
  out[#out + 1] = "<h2>Quarantined answers</h2>"
  quarantine(out, m)
  out[#out + 1] = "</main></body></html>\n"
  return table.concat(out, "\n")
end

return html
