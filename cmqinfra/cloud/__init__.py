"""The shell around the TDMQ API: the only package that imports ``tencentcloud``."""
