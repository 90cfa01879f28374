"""`python -m simulators ...`: the `assetpulse simulate` commands on their own."""

from simulators.cli import app

if __name__ == "__main__":
    app(prog_name="python -m simulators")
