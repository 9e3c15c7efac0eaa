"""API calls and whole-process timing of `sovpolicy scan --aws` against the fake account of
the tests (moto's server behind tests/aws_fake.py's proxy, 127.0.0.1 only, no throttling,
no denied region).

1. Counts the API calls of a scan of 1, 2 and 4 regions (by a botocore before-call hook).
2. Adds resources that are listed many per page (EC2 volumes and instances, RDS databases,
   Lambda functions) and counts again: the number of calls does not move; then adds S3
   buckets: 2 detail calls each (location and replication).
3. Runs `sovpolicy scan --aws --regions ...` as a separate process --repeat times and prints
   the median and min wall time.

    python bench/bench_aws.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"

import aws_world  # noqa: E402
from aws_fake import FakeAws  # noqa: E402

REGIONS = ("eu-west-3", "eu-west-2", "us-east-1", "eu-central-1")


def calls(regions: tuple[str, ...]) -> int:
    from sovpolicy.catalog import load_catalog
    from sovpolicy.cli import build_parser
    from sovpolicy.sources.base import ReadContext
    from sovpolicy.sources.registry import live_sources

    src = live_sources(build_parser().parse_args(["scan", "--aws", "--regions", ",".join(regions)]))[0]
    src.read(ReadContext(load_catalog()))
    return src.sessions.log.total  # type: ignore[attr-defined]


def grow(n: int) -> None:
    import boto3

    ec2 = boto3.client("ec2", region_name="eu-west-3")
    for _ in range(n):
        ec2.create_volume(AvailabilityZone="eu-west-3a", Size=1,
                          TagSpecifications=[{"ResourceType": "volume", "Tags": aws_world.HEALTH}])
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=n, MaxCount=n)
    rds = boto3.client("rds", region_name="eu-west-3")
    for i in range(n // 10):
        rds.create_db_instance(DBInstanceIdentifier=f"db{i}", Engine="postgres", DBInstanceClass="db.t3.micro",
                               MasterUsername="admin", MasterUserPassword="x" * 12, AllocatedStorage=20)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    fake = FakeAws()
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty"
        empty.write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ENDPOINT_URL=fake.url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=str(empty), AWS_SHARED_CREDENTIALS_FILE=str(empty),
                   AWS_EC2_METADATA_DISABLED="true")
        os.environ.update(env)
        aws_world.build(with_org=False)
        fake.rewrite["DescribeTable"] = aws_world.global_table
        fake.canned["GET /2015-02-01/file-systems/replication-configurations"] = {"Replications": []}
        fake.canned["POST /ListIndexes"] = {"Indexes": []}
        for n in (1, 2, 4):
            print(f"API calls, {n} region(s): {calls(REGIONS[:n])}")
        before = calls(REGIONS)
        grow(100)
        print(f"API calls, 4 regions, after adding 100 volumes, 100 instances, 10 RDS databases: {calls(REGIONS)} (was {before})")
        import boto3

        s3 = boto3.client("s3", region_name="eu-west-3")
        for i in range(20):
            s3.create_bucket(Bucket=f"extra-{i}", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
        print(f"API calls, 4 regions, after adding 20 buckets: {calls(REGIONS)}")
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "sovpolicy", "scan", "--aws", "--regions", ",".join(REGIONS),
                                   "--format", "json", "--output", str(Path(tmp) / "r.json")], env=env,
                                  capture_output=True, text=True)
            times.append(time.perf_counter() - start)
            assert proc.returncode == 1, proc.stderr
        print(f"whole process, 4 regions: median {statistics.median(times):.2f} s, min {min(times):.2f} s "
              f"({args.repeat} runs)")
    fake.stop()


if __name__ == "__main__":
    main()
