"""Org units (tree, validity, lineage), unit groups, users, memberships, access."""

from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "parindex.orgs"
    label = "orgs"
    verbose_name = "Tổ chức và tài khoản"
