# SPDX-License-Identifier: GPL-2.0-or-later
# QAPI code generator package (see scripts/qapi-gen.py).
