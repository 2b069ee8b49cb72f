"""cmqinfra: infrastructure as code for Tencent Cloud TDMQ for CMQ."""

__version__ = "0.1.0"
