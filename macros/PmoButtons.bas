Attribute VB_Name = "PmoButtons"
' The Dashboard's buttons. Each Sub runs one function of the Python module pmo_xl.excel
' through xlwings' RunPython; the work itself is done in Python (pmo-xl).
' Interpreter and PYTHONPATH: see the xlwings.conf sheet.
Option Explicit

Sub ValidateEntries()
    RunPython "import pmo_xl.excel; pmo_xl.excel.validate_entries()"
End Sub

Sub RollupPortfolio()
    RunPython "import pmo_xl.excel; pmo_xl.excel.rollup_portfolio()"
End Sub

Sub GenerateReport()
    RunPython "import pmo_xl.excel; pmo_xl.excel.generate_report()"
End Sub

Sub GenerateAllReports()
    RunPython "import pmo_xl.excel; pmo_xl.excel.generate_all_reports()"
End Sub

Sub LessonsForProject()
    RunPython "import pmo_xl.excel; pmo_xl.excel.lessons_for_project()"
End Sub
