@echo off
rem Open the program (scripts\run.bat --demo: the demo server) from a .venv set up on first use.
rem Python (the PYTHON variable if set, else py -3, else python) only creates .venv; see scripts\bootstrap.py.
setlocal
set "PYEXE="
if defined PYTHON set "PYEXE=%PYTHON%"
if not defined PYEXE py -3 -c "" >nul 2>&1 && set "PYEXE=py -3"
if not defined PYEXE python -c "" >nul 2>&1 && set "PYEXE=python"
if not defined PYEXE (
    echo Python was not found: install Python 3.10 or newer from https://www.python.org/downloads/windows/
    exit /b 1
)
%PYEXE% "%~dp0bootstrap.py" run %*
exit /b %ERRORLEVEL%
