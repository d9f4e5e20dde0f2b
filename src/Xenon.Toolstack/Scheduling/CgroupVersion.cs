namespace Xenon.Toolstack.Scheduling;

/// <summary>Which cgroup interface holds the CPU controller: v1 (a <c>cpu</c> hierarchy of its own) or the unified v2 tree.</summary>
public enum CgroupVersion
{
    V1,
    V2,
}
