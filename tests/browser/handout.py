#!/usr/bin/env python3
"""Drives a real Chromium (headless, over WebDriver) through an FTP Lab handout, and prints
what it saw as JSON for tests/browser.rs to judge.

    handout.py FILE.html [--until TEXT] [--answer] [--hint] [--pdf OUT.pdf]

--until TEXT  press the right arrow (at most once per step) until the current step says TEXT
--answer      then go on to the first predict question and reveal its answer
--hint        reveal the first hint (a worksheet)
Every wait is bounded; the browser is always closed.
"""
import argparse, base64, json, re, sys, time
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys


def browser():
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1366,900",
              "--disable-dev-shm-usage", "--no-first-run"):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.set_page_load_timeout(30)
    d.set_script_timeout(30)
    return d


def alert_shown(d):
    try:
        a = d.switch_to.alert
        text = a.text
        a.dismiss()
        return text
    except NoAlertPresentException:
        return None


def state(d):
    return d.execute_script("""
      var s = document.querySelector('#story > .step.current');
      var r = document.querySelector('#ladder .row.current');
      var t = r ? r.querySelector(':scope > title') : null;
      return {
        step: s ? Number(s.dataset.k) : -1,
        text: s ? s.innerText : '',
        ask: s ? s.classList.contains('ask') : false,
        row: r ? r.dataset.j : null,
        row_title: t ? t.textContent : null,
        unseen: document.querySelectorAll('#ladder .row.unseen').length,
        pending: document.querySelectorAll('#ladder .row.pending').length,
        unseen_parts: document.querySelectorAll('#ladder .unseen-part').length,
        where: (document.getElementById('where') || {}).textContent || ''
      };""")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--until")
    ap.add_argument("--answer", action="store_true")
    ap.add_argument("--hint", action="store_true")
    ap.add_argument("--pdf")
    ap.add_argument("--phone", action="store_true", help="a 390x844 phone (mobile emulation)")
    ap.add_argument("--ahead-reveal", help="tick 'show what comes later', go to the question "
                    "saying this, reveal its answer")
    a = ap.parse_args()
    out = {}
    d = browser()
    try:
        if a.phone:
            d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                              {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
        d.get("file://" + a.file)
        time.sleep(0.3)
        out["alert"] = alert_shown(d)
        out["title"] = d.title
        out["scripts"] = len(d.find_elements(By.TAG_NAME, "script"))
        out["foreign"] = len(d.find_elements(By.CSS_SELECTOR, "img, iframe, object, embed, link, base, form, svg script, svg foreignObject"))
        out["elements"] = d.execute_script("return document.getElementsByTagName('*').length")
        out["steps"] = len(d.find_elements(By.CSS_SELECTOR, "#story > .step"))
        out["js"] = d.execute_script("return document.documentElement.classList.contains('js')")
        out["visible_steps"] = d.execute_script(
            "return Array.prototype.filter.call(document.querySelectorAll('#story > .step'),"
            " function (s) { return s.offsetParent !== null; }).length")
        out["start"] = state(d)
        out["body_text"] = d.execute_script("return document.body.innerText")
        out["widths"] = d.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]")
        out["h1"] = d.execute_script(
            "var h = document.querySelector('h1'); return h ? h.textContent : ''")
        body = d.find_element(By.TAG_NAME, "body")
        if a.until:
            for _ in range(out["steps"] + 1):
                if a.until in state(d)["text"]:
                    break
                body.send_keys(Keys.ARROW_RIGHT)
            out["until"] = state(d)
            ahead = d.find_elements(By.ID, "ahead")
            if ahead:
                ahead[0].click()
                out["ahead"] = state(d)
                ahead[0].click()
            body.send_keys(Keys.ARROW_LEFT)
            out["back"] = state(d)
            body.send_keys(Keys.ARROW_RIGHT)
        if a.answer:
            d.execute_script("var s=document.getElementById('slider'); s.value='0';"
                             "s.dispatchEvent(new Event('input'));")
            for _ in range(out["steps"] + 1):
                if state(d)["ask"]:
                    break
                body.send_keys(Keys.ARROW_RIGHT)
            out["asked"] = state(d)
            summary = d.find_element(By.CSS_SELECTOR, "#story > .step.current details.answer summary")
            out["answer_hidden"] = not d.find_element(
                By.CSS_SELECTOR, "#story > .step.current details.answer p").is_displayed()
            summary.click()
            time.sleep(0.2)
            out["answered"] = state(d)
            out["answer_text"] = d.find_element(
                By.CSS_SELECTOR, "#story > .step.current details.answer").text
        if a.ahead_reveal:
            d.find_element(By.ID, "ahead").click()
            for _ in range(out["steps"] + 1):
                st = state(d)
                if st["ask"] and a.ahead_reveal in st["text"]:
                    break
                body.send_keys(Keys.ARROW_RIGHT)
            d.find_element(By.CSS_SELECTOR,
                           "#story > .step.current details.answer summary").click()
            time.sleep(0.2)
            out["ahead_revealed"] = state(d)
            out["fates_shown"] = d.execute_script(
                "return Array.prototype.filter.call(document.querySelectorAll('#ladder .fate'),"
                " function (f) { return getComputedStyle(f).visibility === 'visible'; }).length")
        if a.hint:
            h = d.find_elements(By.CSS_SELECTOR, "details.hint")
            out["hints"] = len(h)
            out["hints_open"] = sum(1 for x in h if x.get_attribute("open") is not None)
            out["hint_shown_before"] = h[0].find_element(By.TAG_NAME, "p").is_displayed() if h else None
            if h:
                h[0].find_element(By.TAG_NAME, "summary").click()
                time.sleep(0.2)
                out["hint_text"] = h[0].text
        pdf = base64.b64decode(d.print_page())
        out["pdf_bytes"] = len(pdf)
        out["pages"] = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        if a.pdf:
            open(a.pdf, "wb").write(pdf)
        out["alert_after"] = alert_shown(d)
        logs = d.get_log("browser")
        out["console"] = [l["message"] for l in logs if l.get("level") in ("SEVERE", "WARNING")]
    finally:
        d.quit()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
