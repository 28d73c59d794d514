"""监测评估预警 (S4): monitoring messages in (broker and HTTP), warnings as data, their lifecycle.

``messages`` checks what arrives, ``inbox`` processes it once in one transaction, ``rules`` and
``controls`` decide the warnings, ``warnings`` keeps their lifecycle, ``mqtt`` talks to Mosquitto.
"""
