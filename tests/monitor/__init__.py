"""Tests of the case monitor (policyengine.monitor) and its lifecycles."""
