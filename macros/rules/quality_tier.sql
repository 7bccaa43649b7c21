{#- Tier of a Q-Score (SPEC §7): GOLD above 90, SILVER from 70 to 90
    inclusive, BRONZE below 70. -#}
{% macro quality_tier(score) -%}
    case
        when {{ score }} > 90 then 'GOLD'
        when {{ score }} >= 70 then 'SILVER'
        else 'BRONZE'
    end
{%- endmacro %}
