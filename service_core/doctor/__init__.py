"""`assetpulse doctor`: checks a deployment and says what is wrong in plain words."""
