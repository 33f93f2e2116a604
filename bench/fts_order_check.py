"""Plan and timing of a newest-first full-text page on SQLite FTS5, the set shape the
store used before (matches collected, then sorted) next to the rowid-ordered join it uses
now, on 200,000 synthetic rows (7 % open, the common word in 36 %). A quick check beside
target/release/queue, which measures the store itself at a million reports."""
import sqlite3, random, time, os, tempfile
random.seed(7)
d = tempfile.mkdtemp(); db = sqlite3.connect(os.path.join(d, "f.db"))
db.executescript("""
CREATE TABLE reports (id INTEGER PRIMARY KEY, state TEXT, title TEXT, summary TEXT);
CREATE INDEX reports_state_id ON reports (state, id);
CREATE VIRTUAL TABLE reports_fts USING fts5(title, summary);
""")
words = ["alpha%d" % i for i in range(3000)]
states = ["new"]*7 + ["closed"]*93
N = 200000
rows = []
for i in range(1, N+1):
    text = " ".join(random.choice(words) for _ in range(12))
    if random.random() < 0.36: text += " injection"
    rows.append((i, random.choice(states), "t", text))
db.executemany("INSERT INTO reports VALUES (?,?,?,?)", rows)
db.executemany("INSERT INTO reports_fts (rowid, title, summary) VALUES (?,?,?)", [(r[0], r[2], r[3]) for r in rows])
db.commit()
before = "SELECT r.id FROM reports r WHERE r.state IN ('new') AND r.id IN (SELECT rowid FROM reports_fts WHERE reports_fts MATCH ?) ORDER BY r.id DESC LIMIT 51"
after = "SELECT r.id FROM reports_fts CROSS JOIN reports r ON r.id = reports_fts.rowid WHERE reports_fts MATCH ? AND r.state IN ('new') ORDER BY reports_fts.rowid DESC LIMIT 51"
for name, sql in (("before", before), ("after", after)):
    print(name, [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, ('"injection"',))])
    for word in ('"injection"', '"alpha17" "alpha99"'):
        times = []
        for _ in range(30):
            t = time.perf_counter(); res = db.execute(sql, (word,)).fetchall(); times.append((time.perf_counter()-t)*1000)
        times.sort()
        print(f"  {word:24} rows {len(res):3}  p50 {times[15]:.2f} ms  max {times[-1]:.2f} ms")
assert db.execute(before, ('"injection"',)).fetchall() == db.execute(after, ('"injection"',)).fetchall()
print("same rows")
