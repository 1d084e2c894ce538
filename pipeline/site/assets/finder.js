/* The static finder: ours, no library, no request (the catalog is embedded in the page).
 * State lives in the URL with the dashboard finder's parameters (docs/site.md), so one query string opens
 * the same answer in both. Rows arrive in the ranking of `vultr-catalog cheapest`; filters keep that order,
 * so the first row (and the sentence above the table, which names it) is the CLI's first row. */
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("finder-data").textContent);
  const $ = (id) => document.getElementById(id);
  const form = $("filters"), out = $("finder-table"), answer = $("answer"), notes = $("link-notes");
  const F = Object.fromEntries(D.plan_fields.map((name, i) => [name, i]));
  const ANY = "any", ROW_LIMIT = 500;
  const PARAMS = ["region", "continent", "type", "min_vcpu", "min_ram_gb", "min_disk_gb", "max_price", "stock",
    "q", "per", "gpu_type", "min_gpu_vram_gb", "cpu_vendor", "cpu_allocation", "each_region", "columns", "sort"];
  const DEFAULTS = {region: D.default_region, continent: ANY, type: ANY, min_vcpu: 0, min_ram_gb: 0, min_disk_gb: 0,
    max_price: null, stock: "in_stock", q: "", per: "month", gpu_type: ANY, min_gpu_vram_gb: null,
    cpu_vendor: ANY, cpu_allocation: ANY, each_region: false, sort: ""};
  // The dashboard grid's column keys, labels and defaults (app/grid.py), and two more here: city, continent.
  const ALWAYS = ["rank", "plan_id", "region_id", "vcpu_count", "ram_gb", "disk_gb", "price"];
  const OPTIONAL = ["region_count", "plan_type", "disk_count", "bandwidth_tb", "hourly_source", "price_per_vcpu", "price_per_gb_ram",
    "is_in_stock", "gpu_type", "gpu_vram_gb", "cpu_vendor", "cpu_allocation", "city", "continent"];
  const DEFAULT_SHOWN = ["plan_type", "price_per_vcpu"];
  const compared = new Map();  // "plan@region" -> row, in the order ticked

  // --- the one formatter's rules (pipeline/queries/formatting.py), on exact decimal text ---
  const MISSING = "\u2014";
  function money(text, estimate) {
    if (text == null) return MISSING;
    const negative = text.startsWith("-");
    let [whole, frac = ""] = text.replace("-", "").split(".");
    frac = frac.replace(/0+$/, "").padEnd(2, "0");
    whole = String(BigInt(whole)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (estimate ? "\u2248" : "") + (negative ? "-" : "") + "$" + whole + "." + frac;
  }
  const perUnit = (v) => v == null || !isFinite(v) ? MISSING : "$" + (Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3));
  const num = (v) => String(Math.round(v * 100) / 100);
  const plural = (n, noun, many) => n.toLocaleString("en-US") + " " + (n === 1 ? noun : many || noun + "s");
  const ram = (mb) => mb == null ? MISSING : num(mb / 1024) + " GB";
  const disk = (gb, count) => gb == null ? "no disk" : (count > 1 ? count + " x " + gb + " GB" : gb + " GB");
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  const segment = (id) => String(id).replace(/[^A-Za-z0-9._-]/g, "_");  // as pipeline/site/text.py segment()
  const lower = (s) => s == null ? null : String(s).toLowerCase();

  // --- rows ---
  function row(offer, rank) {
    const p = D.plans[offer[0]], region = D.regions[offer[1]] || [];
    return {key: offer[0] + "@" + offer[1], plan_id: offer[0], region_id: offer[1], monthly: offer[2],
      hourly: offer[3], estimate: offer[4], is_in_stock: offer[5] === 1, rank: rank, plan_type: p[F.plan_type],
      vcpu_count: p[F.vcpu_count], ram_mb: p[F.ram_mb], disk_gb: p[F.disk_gb], disk_count: p[F.disk_count],
      bandwidth_gb: p[F.bandwidth_gb], cpu_vendor: p[F.cpu_vendor], cpu_allocation: p[F.cpu_allocation],
      gpu_type: p[F.gpu_type], gpu_vram_gb: p[F.gpu_vram_gb], city: region[0], continent: region[2]};
  }
  const ROWS = D.offers.map((o, i) => row(o, i + 1));
  const BY_KEY = new Map(ROWS.map((r) => [r.key, r]));

  function matches(r, f) {  // cheapest.sql's predicates, one for one (NULL never passes a comparison)
    if (r.vcpu_count == null || r.vcpu_count < f.min_vcpu) return false;
    if (r.ram_mb == null || r.ram_mb < f.min_ram_mb) return false;
    if ((r.disk_gb || 0) < f.min_disk_gb) return false;
    if (f.region !== ANY && r.region_id !== f.region) return false;
    if (f.continent !== ANY && lower(r.continent) !== lower(f.continent)) return false;
    if (f.type !== ANY && r.plan_type !== f.type && !String(r.plan_type).startsWith(f.type + "-")) return false;  // voc: voc-c, voc-g...
    if (f.max_price != null && !(Number(r.monthly) <= f.max_price)) return false;
    if (f.gpu_type !== ANY && lower(r.gpu_type) !== lower(f.gpu_type)) return false;
    if (f.min_gpu_vram_gb != null && !(r.gpu_vram_gb != null && r.gpu_vram_gb >= f.min_gpu_vram_gb)) return false;
    if (f.cpu_vendor !== ANY && lower(r.cpu_vendor) !== lower(f.cpu_vendor)) return false;
    if (f.cpu_allocation !== ANY && r.cpu_allocation !== f.cpu_allocation) return false;
    return f.stock !== "in_stock" || r.is_in_stock;
  }

  function ranking(s) {
    const f = Object.assign({}, s, {min_ram_mb: Math.ceil(s.min_ram_gb * 1024),
      continent: s.region === ANY ? s.continent : ANY});
    let found = ROWS.filter((r) => matches(r, f));
    if (s.region === ANY && !s.each_region) {  // each plan once, in its cheapest region (its first row)
      const counts = new Map();
      found.forEach((r) => counts.set(r.plan_id, (counts.get(r.plan_id) || 0) + 1));
      found = found.filter((r) => counts.has(r.plan_id) && (r.region_count = counts.get(r.plan_id), counts.delete(r.plan_id), true));
    }
    // a search word matches the plan id, type, CPU vendor or GPU type; `gpu` also every plan with a GPU
    const words = s.q.toLowerCase().split(/\s+/).filter(Boolean);
    const text = (r) => [r.plan_id, r.plan_type, r.cpu_vendor, r.gpu_type].map((v) => v == null ? "" : v).join(" ").toLowerCase();
    if (words.length) found = found.filter((r) => words.every((w) => text(r).includes(w) || (w === "gpu" && r.gpu_type != null)));
    return found.map((r, i) => Object.assign({}, r, {rank: i + 1}));  // the rank among the rows found
  }

  // --- columns: header, value for sorting, cell text ---
  const price = (r, per) => per === "month" ? Number(r.monthly) : Number(r.hourly != null ? r.hourly : r.estimate);
  const priceText = (r, per) => per === "month" ? money(r.monthly) : (r.hourly != null ? money(r.hourly) : money(r.estimate, true));
  const ratio = (r, per, by) => by > 0 ? price(r, per) / by : null;
  const link = (href, text) => '<a href="' + href + '">' + esc(text) + "</a>";
  function columns(per) {
    const unit = per === "month" ? "month" : "hour";
    return {
      rank: ["#", (r) => r.rank, (r) => r.rank],
      plan_id: ["plan", (r) => r.plan_id, (r) => link("plan/" + segment(r.plan_id) + "/", r.plan_id)],
      region_id: ["region", (r) => r.region_id, (r) => link("region/" + segment(r.region_id) + "/", r.region_id)],
      region_count: ["regions", (r) => r.region_count, (r) => r.region_count],
      plan_type: ["type", (r) => r.plan_type, (r) => esc(r.plan_type)],
      vcpu_count: ["vCPUs", (r) => r.vcpu_count, (r) => r.vcpu_count],
      ram_gb: ["RAM", (r) => r.ram_mb, (r) => ram(r.ram_mb)],
      disk_gb: ["disk", (r) => r.disk_gb, (r) => disk(r.disk_gb, r.disk_count)],
      disk_count: ["disks", (r) => r.disk_count, (r) => r.disk_count == null ? MISSING : r.disk_count],
      bandwidth_tb: ["transfer", (r) => r.bandwidth_gb, (r) => r.bandwidth_gb == null ? MISSING : num(r.bandwidth_gb / 1024) + " TB"],
      price: ["$/" + unit, (r) => price(r, per), (r) => priceText(r, per)],
      hourly_source: ["source", (r) => r.hourly != null ? 0 : 1, (r) => r.hourly != null ? "API" : "\u2248 estimate"],
      price_per_vcpu: ["$/vCPU/" + unit, (r) => ratio(r, per, r.vcpu_count), (r) => perUnit(ratio(r, per, r.vcpu_count))],
      price_per_gb_ram: ["$/GB RAM/" + unit, (r) => ratio(r, per, r.ram_mb / 1024), (r) => perUnit(ratio(r, per, r.ram_mb / 1024))],
      is_in_stock: ["in stock", (r) => r.is_in_stock ? 0 : 1, (r) => r.is_in_stock ? "yes" : "sold out"],
      gpu_type: ["GPU", (r) => r.gpu_type, (r) => r.gpu_type == null ? MISSING : esc(r.gpu_type)],
      gpu_vram_gb: ["GPU VRAM", (r) => r.gpu_vram_gb, (r) => r.gpu_vram_gb == null ? MISSING : r.gpu_vram_gb + " GB"],
      cpu_vendor: ["CPU", (r) => r.cpu_vendor, (r) => r.cpu_vendor == null ? MISSING : esc(r.cpu_vendor)],
      cpu_allocation: ["CPU allocation", (r) => r.cpu_allocation, (r) => r.cpu_allocation == null ? MISSING : esc(r.cpu_allocation)],
      city: ["city", (r) => r.city, (r) => esc(r.city || MISSING)],
      continent: ["continent", (r) => r.continent, (r) => esc(r.continent || MISSING)],
    };
  }

  function sorted(rows, sort, cols) {
    const desc = sort.startsWith("-"), key = sort.replace(/^-/, "");
    if (!key || !cols[key]) return rows;  // no sort: the ranking
    const value = cols[key][1];
    return rows.slice().sort((a, b) => {
      const x = value(a), y = value(b);
      if (x == null || y == null) return (x == null) - (y == null) || a.rank - b.rank;  // missing last
      const order = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
      return (desc ? -order : order) || a.rank - b.rank;
    });
  }

  // --- the answer: the table's first row, in the dashboard's words ---
  function sentence(rows, s) {
    const kind = s.type !== ANY ? s.type + " plan" : "plan";
    const place = s.region !== ANY ? D.regions[s.region][0] : (s.continent !== ANY ? "any region in " + s.continent : "any region");
    const where = (s.stock === "in_stock" ? "in stock" : "offered") + " in " + place + (s.q ? " matching \u201c" + s.q + "\u201d" : "");
    if (!rows.length) return "No " + kind + " " + where + " matches these filters.";
    const top = rows[0], key = s.sort.replace(/^-/, "");
    const lead = !s.sort || s.sort === "price" ? "Cheapest" : "First (by " + columns(s.per)[key][0] + (s.sort.startsWith("-") ? " \u2193)" : " \u2191)");
    const there = s.region === ANY ? " in " + top.city + " (" + top.region_id + ")" : "";
    const soldOut = s.stock === "in_stock" || top.is_in_stock ? "" : " (sold out now)";
    const diskText = disk(top.disk_gb, top.disk_count);  // the formatter's headline: figures named, joined by ·
    const figures = [plural(top.vcpu_count, "vCPU"), ram(top.ram_mb) + " RAM", diskText === "no disk" ? diskText : diskText + " disk",
      priceText(top, s.per) + "/" + s.per].join(" \u00b7 ");
    return lead + " " + kind + " " + where + ": " + top.plan_id + there + " \u2014 " + figures + soldOut;
  }

  // --- URL state ---
  const errors = [];
  function choice(params, name, options) {
    const raw = params.get(name);
    if (raw == null || raw === "") return DEFAULTS[name];
    const found = options.find((o) => o.toLowerCase() === raw.trim().toLowerCase());
    if (found === undefined) errors.push("Unknown " + name.replace(/_/g, " ") + " '" + raw + "' in the link; choices: " + options.join(", ") + ".");
    return found === undefined ? DEFAULTS[name] : found;
  }
  function amount(params, name, whole, scale) {
    const raw = params.get(name);
    if (raw == null || raw === "") return undefined;
    const value = Number(raw);
    if (raw.trim() === "" || !isFinite(value) || value < 0 || (whole && !Number.isInteger(value))) {
      errors.push("Ignored " + name + "='" + raw + "' in the link: not a valid " + name.replace(/_/g, " ") + ".");
      return undefined;
    }
    return value / (scale || 1);
  }
  function optionsOf(name) { return [...form.elements[name].options].map((o) => o.value); }
  function fromUrl(search) {
    const p = new URLSearchParams(search), s = Object.assign({}, DEFAULTS);
    const region = (p.get("region") || "").trim().toLowerCase();
    s.unknownRegion = region && region !== ANY && !D.regions[region] ? region : null;
    s.region = region && !s.unknownRegion ? region : (s.unknownRegion ? null : DEFAULTS.region);
    for (const name of ["continent", "type", "gpu_type", "cpu_vendor", "cpu_allocation"]) s[name] = choice(p, name, optionsOf(name));
    s.stock = choice(p, "stock", ["in_stock", "offered"]);
    s.per = choice(p, "per", ["month", "hour"]);
    s.min_vcpu = amount(p, "min_vcpu", true) ?? 0;
    s.min_disk_gb = amount(p, "min_disk_gb", true) ?? 0;
    s.min_ram_gb = amount(p, "min_ram_gb") ?? (p.get("min_ram_gb") ? 0 : amount(p, "min_ram_mb", true, 1024) ?? 0);
    s.max_price = amount(p, "max_price") ?? null;
    s.min_gpu_vram_gb = amount(p, "min_gpu_vram_gb", true) || null;  // 0: no filter, as the dashboard
    s.q = p.get("q") || "";
    s.each_region = ["1", "true", "yes"].includes((p.get("each_region") || "").toLowerCase());
    s.columns = p.has("columns") ? p.get("columns").split(",").map((c) => c.trim()).filter((c) => OPTIONAL.includes(c)) : DEFAULT_SHOWN;
    const sort = (p.get("sort") || "").trim(), sortable = columns("month");
    delete sortable.hourly_source;
    s.sort = sortable[sort.replace(/^-/, "")] ? sort : "";
    (p.get("compare") || "").split(",").filter((k) => BY_KEY.has(k)).forEach((k) => compared.set(k, BY_KEY.get(k)));
    return s;
  }
  function toUrl(s) {
    const p = new URLSearchParams();
    for (const name of PARAMS) {
      let v = s[name];
      if (name === "region") v = s.region || s.unknownRegion;
      if (name === "continent" && s.region !== ANY) continue;
      if (name === "columns") { if (v.join(",") !== DEFAULT_SHOWN.join(",")) p.set(name, v.join(",")); continue; }
      if (name === "each_region") { if (v) p.set(name, "1"); continue; }
      if (v != null && v !== DEFAULTS[name] && !(typeof v === "number" && v === DEFAULTS[name])) p.set(name, String(v));
    }
    if (compared.size) p.set("compare", [...compared.keys()].join(","));  // ticked rows, plan@region
    const text = p.toString();
    return text ? "?" + text : location.pathname;
  }

  // --- the form <-> the state ---
  function fill(s) {
    const el = form.elements;
    el.region.value = s.region || "";
    for (const name of ["continent", "type", "gpu_type", "cpu_vendor", "cpu_allocation", "q"]) el[name].value = s[name];
    for (const name of ["min_vcpu", "min_ram_gb", "min_disk_gb", "max_price", "min_gpu_vram_gb"]) {
      el[name].value = s[name] == null || (s[name] === 0 && DEFAULTS[name] === 0) ? "" : s[name];
    }
    el.stock.value = s.stock; el.per.value = s.per; el.each_region.checked = s.each_region;
    for (const box of form.querySelectorAll("input[name=column]")) box.checked = s.columns.includes(box.value);
  }
  function read(previous) {
    const el = form.elements, n = (name, fallback) => el[name].value === "" || !(Number(el[name].value) >= 0) ? fallback : Number(el[name].value);
    return Object.assign({}, previous, {region: el.region.value || null, unknownRegion: el.region.value ? null : previous.unknownRegion,
      continent: el.continent.value, type: el.type.value, gpu_type: el.gpu_type.value, cpu_vendor: el.cpu_vendor.value,
      cpu_allocation: el.cpu_allocation.value, q: el.q.value, stock: el.stock.value, per: el.per.value,
      min_vcpu: Math.floor(n("min_vcpu", 0)), min_ram_gb: n("min_ram_gb", 0), min_disk_gb: Math.floor(n("min_disk_gb", 0)),
      max_price: n("max_price", null), min_gpu_vram_gb: n("min_gpu_vram_gb", null) || null, each_region: el.each_region.checked,
      columns: [...form.querySelectorAll("input[name=column]:checked")].map((b) => b.value)});
  }

  // --- drawing ---
  function render(s) {
    const anywhere = s.region === ANY;
    form.classList.toggle("anywhere", anywhere);
    notes.innerHTML = errors.concat(s.unknownRegion ? ["Unknown region '" + s.unknownRegion + "' in the link. Regions: " + Object.keys(D.regions).join(", ")] : [])
      .map((e) => '<p class="error">' + esc(e) + "</p>").join("");
    if (!s.region) { answer.textContent = "Choose a region to see the cheapest plan."; out.innerHTML = ""; return; }
    const cols = columns(s.per);
    const shown = ALWAYS.filter((c) => anywhere || c !== "region_id")
      .concat(OPTIONAL.filter((c) => s.columns.includes(c) && (c !== "region_count" || (anywhere && !s.each_region))));
    if (s.per === "hour" && !shown.includes("hourly_source")) shown.push("hourly_source");  // an estimate is always marked
    const rows = sorted(ranking(s), s.sort, cols);
    answer.textContent = sentence(rows, s);
    const key = s.sort.replace(/^-/, ""), dir = s.sort.startsWith("-") ? "descending" : "ascending";
    const head = '<th scope="col"><span class="sr-only">compare</span></th>' + shown.map((c) => '<th scope="col"' +
      (c === key ? ' aria-sort="' + dir + '"' : "") + '><button type="button" data-sort="' + c + '">' + esc(cols[c][0]) + "</button></th>").join("");
    const body = rows.slice(0, s.all ? rows.length : ROW_LIMIT).map((r) => '<tr><td><input type="checkbox" aria-label="compare ' + esc(r.key) +
      '" data-key="' + esc(r.key) + '"' + (compared.has(r.key) ? " checked" : "") + "></td>" + shown.map((c) => "<td>" + cols[c][2](r) + "</td>").join("") + "</tr>").join("");
    const more = rows.length > ROW_LIMIT && !s.all ? '<p><button type="button" id="show-all">Show all ' + plural(rows.length, "row") + "</button></p>" : "";
    out.innerHTML = '<p class="caption">' + plural(rows.length, anywhere && !s.each_region ? "matching plan" : "matching offer") +
      ", ranked like <code>vultr-catalog cheapest</code>: cheapest monthly price first, then more vCPUs, more RAM, plan id. " +
      "Sort with the column buttons.</p><div class=\"scroll\"><table id=\"ranking\"><thead><tr>" + head + "</tr></thead><tbody>" + body + "</tbody></table></div>" + more;
    drawCompare(cols);
  }

  const COMPARE_ROWS = ["region_id", "city", "plan_type", "vcpu_count", "ram_gb", "disk_gb", "bandwidth_tb", "price",
    "price_per_vcpu", "gpu_type", "gpu_vram_gb", "cpu_vendor", "is_in_stock"];
  function drawCompare(cols) {
    const panel = $("compare"), rows = [...compared.values()];
    panel.hidden = rows.length === 0;
    if (!rows.length) { panel.innerHTML = ""; return; }
    const head = "<tr><th scope=\"col\">compare</th>" + rows.map((r) => '<th scope="col">' + esc(r.plan_id) + "</th>").join("") + "</tr>";
    const body = COMPARE_ROWS.map((c) => '<tr><th scope="row">' + esc(cols[c][0]) + "</th>" + rows.map((r) => "<td>" + cols[c][2](r) + "</td>").join("") + "</tr>").join("");
    panel.innerHTML = "<h2>Compare " + plural(rows.length, "offer") + '</h2><div class="scroll"><table id="compare-table"><thead>' + head +
      "</thead><tbody>" + body + '</tbody></table></div><button type="button" id="compare-clear">Clear</button>';
  }

  let state = fromUrl(location.search);
  fill(state);
  function writeUrl() {
    const url = toUrl(state);
    if (url !== (location.search || location.pathname)) history.replaceState(null, "", url);
  }
  function update(next) {
    state = next;
    writeUrl();
    render(state);
  }
  form.addEventListener("input", () => { errors.length = 0; update(read(state)); });
  form.addEventListener("submit", (e) => e.preventDefault());
  document.addEventListener("click", (e) => {
    const t = e.target;
    if (t.dataset && t.dataset.sort) {  // a header: ascending first, again for descending (numbers: cheapest first)
      update(Object.assign({}, state, {sort: state.sort === t.dataset.sort ? "-" + t.dataset.sort : t.dataset.sort}));
      const again = out.querySelector('button[data-sort="' + t.dataset.sort + '"]');
      if (again) again.focus();
    } else if (t.id === "show-all") update(Object.assign({}, state, {all: true}));
    else if (t.id === "compare-clear") { compared.clear(); writeUrl(); render(state); }
  });
  out.addEventListener("change", (e) => {
    const key = e.target.dataset.key;
    if (!key) return;
    if (e.target.checked) compared.set(key, BY_KEY.get(key)); else compared.delete(key);
    writeUrl();  // the table stays as it is (the focus with it)
    drawCompare(columns(state.per));
  });
  render(state);
  document.documentElement.classList.add("finder-ready");
})();
