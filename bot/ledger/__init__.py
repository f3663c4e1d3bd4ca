"""The ledger (台账): every task's light and latest report, unit reporting rates, the workbook."""
