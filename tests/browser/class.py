#!/usr/bin/env python3
"""A student's phone (headless Chromium at 360x740, over WebDriver): opens the join URL,
waits for the question, answers B, waits for "answer sent", then for the teacher's reveal,
and prints what it saw as JSON. Every wait is bounded.

    class.py URL [--shot OUT.png]
"""
import argparse, json, sys, time
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from handout import browser
from selenium.webdriver.common.by import By


def wait(d, js, secs):
    end = time.time() + secs
    while time.time() < end:
        v = d.execute_script(js)
        if v:
            return v
        time.sleep(0.1)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--shot")
    a = ap.parse_args()
    out = {}
    d = browser()
    try:
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                          {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True})
        d.get(a.url)
        out["question"] = wait(d, "return document.getElementById('text').textContent", 10)
        out["choices"] = d.execute_script(
            "return Array.prototype.map.call(document.querySelectorAll('#choices button'),"
            " function (b) { return b.textContent; })")
        d.find_elements(By.CSS_SELECTOR, "#choices button")[1].click()
        out["sent"] = bool(wait(d, "return !document.getElementById('sent').hidden", 10))
        print("answered", file=sys.stderr, flush=True)
        if a.shot:
            d.save_screenshot(a.shot)
        out["verdict"] = wait(d, "return document.getElementById('verdict').textContent", 20)
        out["explain"] = d.execute_script("return document.getElementById('explain').textContent")
        out["ended"] = wait(d, "return /ended/.test(document.getElementById('status').textContent)", 20)
        out["widths"] = d.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        out["console"] = [l["message"] for l in d.get_log("browser")
                          if l.get("level") in ("SEVERE", "WARNING")]
    finally:
        d.quit()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
