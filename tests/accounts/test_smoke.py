def test_the_cast_lives_in_separate_tenants(tenant, other_tenant, alice, charlie):
    assert tenant.memberships.filter(user=alice).exists()
    assert not tenant.memberships.filter(user=charlie).exists()
    assert other_tenant.memberships.filter(user=charlie).exists()
