"""承载能力 inputs of the sample county: department values per 乡镇 (``data/carrying_values.csv``).

The 水利局 and 生态环境局 report 用水总量, its 控制指标 and PM2.5/COD concentrations for the county and three towns
as ordinary department-value messages at the end of the year, so the 承载能力 page shows one town 超载 and one
临界超载 after ``onemap monitor replay`` (the values are illustrative choices of the table, not of code).
"""

from __future__ import annotations

from onemap.sample.params import params, rules


def carrying_values(county_code: str) -> list[dict]:
    """The table's rows as value lines of 监测消息.jsonl (``{"kind": "value", "message": …}``)."""
    year = params()["traffic"]["year"]
    lines = []
    for i, row in enumerate(rules("carrying_values").to_dict("records"), start=1):
        region = county_code + row["township"]
        lines.append({"kind": "value", "message": {
            "id": f"CC{year}{i:03d}", "indicator": row["indicator"], "region": region, "period": year,
            "value": float(row["value"]), "unit": row["unit"], "source": row["source"]}})
    return lines
