"""Reads bench/run.sh's table and the control's lines (same run) and prints each figure as a
ratio: req/s to the control's W1 at the same connections and to Gatehouse's own W1, p50 to the
control's W1 p50 at one connection. Used by bench/run.sh; prints a markdown section."""
import re
import sys


def ms(text):
    match = re.match(r"([\d.]+)(us|ms|s)$", text.strip())
    if not match:
        return None
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def main(table_path, control_path):
    control = {}
    for line in open(control_path):
        parts = line.split()
        if len(parts) >= 6 and parts[0] == "control":
            control[(parts[1], int(parts[2]))] = (float(parts[3]), ms(parts[6]))
    rows = []
    for line in open(table_path):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[2] not in ("?", ""):
            rows.append((cells[0], int(cells[1]), float(cells[2]), ms(cells[3])))
    own_w1 = {c: (rps, p50) for name, c, rps, p50 in rows if name == "W1 page 1 (name)"}
    print()
    print("### Ratios to the control, measured in the same run (../shared/bench-control)")
    print()
    if ("W1", 32) not in control:
        print("The control did not run: no ratios.")
        return
    for c in (32, 1):
        if ("W1", c) in control:
            rps, p50 = control[("W1", c)]
            print(f"- control W1 at {c}: {rps:,.0f} req/s, p50 {p50:.3f} ms")
    print()
    print("| workload | connections | req/s ÷ control W1 | p50 ÷ control W1 p50 | req/s ÷ Gatehouse W1 |")
    print("|---|---|---|---|---|")
    for name, c, rps, p50 in rows:
        base = control.get(("W4" if name.startswith("W4") else "W1", c))
        vs_control = f"{rps / base[0]:.2f}×" if base else "—"
        vs_p50 = f"{p50 / base[1]:.2f}×" if base and base[1] and p50 else "—"
        own = own_w1.get(c)
        vs_own = f"{rps / own[0]:.2f}×" if own and not name.startswith("W4") else "—"
        print(f"| {name} | {c} | {vs_control} | {vs_p50} | {vs_own} |")
    print()
    print("(W4 rows are read against the control's W4, a one-row UPDATE; every other row against its W1.)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
