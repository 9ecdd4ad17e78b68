"""Web pages of the customer base (adapters over selectors and services), one module per page
group: list.py (the customer list), detail.py (the 360° page), edit.py (forms), bin.py (recycle
bin and history)."""
